enum PortalOpenAPI { static let documentData = [UInt8]("{}".utf8) }
