# Portico: `make run` starts the whole platform, `make test` runs every test.
.PHONY: run test build release bench-portal bench-gateway clean-data

run:
	@scripts/run.sh

test:
	@scripts/test.sh

build:
	swift build

release:
	swift build -c release

bench-portal:
	@bench/portal.sh

bench-gateway:
	@bench/gateway.sh

# Removes the demo database and everything else under .data/.
clean-data:
	@scripts/run.sh --stop-only; rm -rf .data
