package community

// FoldUnread exposes foldUnread to the package's tests.
var FoldUnread = foldUnread
