package adapter

// QueryToProto exposes the query conversion to the external tests.
var QueryToProto = queryToProto
