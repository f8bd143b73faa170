package handshake

import "net/http"

// A request reaches this package in one of two forms: parsed by net/http,
// with its header fields in an http.Header (a map from canonical names to
// values), or parsed by [ParseRequest] from the bytes on the wire, with
// its fields in a list in the order they were sent. Every rule of the
// handshake — CheckRequest's, CheckOrigin's, the token and extension
// lists — is written once, against a fieldView, which reads either form.

// fieldView is a read-only view of a request's header fields. Exactly one
// of its two sources is used: header when the request came from net/http,
// fields when it came from ParseRequest.
type fieldView struct {
	header http.Header
	fields []HeaderField
	raw    bool // read fields, not header
}

// headerView returns the view of an http.Header.
func headerView(h http.Header) fieldView { return fieldView{header: h} }

// fieldsView returns the view of a list of fields parsed from the wire.
func fieldsView(fields []HeaderField) fieldView { return fieldView{fields: fields, raw: true} }

// values returns an iterator over the values of the field name, in the
// order they were sent. Field names are case-insensitive (RFC 9110 §5.1);
// name should be in canonical form (such as "Sec-Websocket-Key") so that
// looking it up in an http.Header does not allocate.
func (v fieldView) values(name string) fieldValues {
	if v.raw {
		return fieldValues{name: name, fields: v.fields}
	}
	return fieldValues{list: headerValues(v.header, name)}
}

// first returns the first value of the field name and how many times the
// field appears: the two things a rule about a single-valued field, such
// as Sec-WebSocket-Key, needs to know.
func (v fieldView) first(name string) (value string, count int) {
	it := v.values(name)
	for s, ok := it.next(); ok; s, ok = it.next() {
		if count == 0 {
			value = s
		}
		count++
	}
	return value, count
}

// fieldValues iterates over the values of one field. It lives on the
// stack, so reading a request's fields never allocates; and it moves
// forward by an index rather than by reslicing, because writing a pointer
// through *fieldValues would cost a write barrier for each field while the
// garbage collector runs.
type fieldValues struct {
	list   []string      // the values, from an http.Header
	name   string        // the name to look for in fields
	fields []HeaderField // the fields to search, from the wire
	i      int           // the next index into list or fields
}

// next returns the next value, or false when there is none.
func (it *fieldValues) next() (string, bool) {
	if it.i < len(it.list) {
		it.i++
		return it.list[it.i-1], true
	}
	for it.i < len(it.fields) {
		f := &it.fields[it.i]
		it.i++
		if equalFoldASCII(f.Name, it.name) {
			return f.Value, true
		}
	}
	return "", false
}
