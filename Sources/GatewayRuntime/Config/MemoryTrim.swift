#if canImport(Glibc)
import Glibc
#endif

/// Returns freed heap pages to the operating system after a configuration reload (glibc keeps
/// them otherwise, so resident memory would show the peak of the last reload forever).
/// `malloc_trim` is not in Swift's Glibc module, so it is looked up at run time.
enum MemoryTrim {
    #if canImport(Glibc)
    private typealias TrimFunction = @convention(c) (Int) -> Int32
    private static let function: TrimFunction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: TrimFunction.self)
    }()
    #endif

    static func trim() {
        #if canImport(Glibc)
        _ = function?(0)
        #endif
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
