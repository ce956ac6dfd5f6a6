// The values the documents are made of (an entry, its evidence, audit events, search hits,
// pages) are EngramModel's, shared with the store and the engine; a client that imports
// EngramAPI gets them too.
@_exported public import EngramModel
