# Portico: `make run` starts the whole platform, `make test` runs every test.
.PHONY: run test test-release build release bench-portal bench-gateway clean-data

run:
	@scripts/run.sh

test:
	@scripts/test.sh

# The gateway's tests on a release build with its release-only compiler flags (see Package.swift).
test-release:
	@RELEASE_TESTS=1 scripts/test.sh

build:
	swift build

# Linked as make run links it (scripts/lib.sh, swift_build).
release:
	@bash -c '. scripts/lib.sh && swift_build release'

bench-portal:
	@bench/portal.sh

bench-gateway:
	@bench/gateway.sh

# Removes the demo database and everything else under .data/.
clean-data:
	@scripts/run.sh --stop-only; rm -rf .data
