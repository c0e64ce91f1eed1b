package handler

import "strings"

// mediaClass is what a typed handler can do with a datacontenttype.
type mediaClass uint8

const (
	mediaAbsent mediaClass = iota // no datacontenttype: data is read as JSON
	mediaJSON                     // application/json, text/json, */*+json
	mediaText                     // text/*
	mediaOther                    // anything else: not decodable
)

// classifyMedia classifies a content type without allocating. Parameters
// (";charset=utf-8") are ignored and comparisons ignore case.
func classifyMedia(ct string) mediaClass {
	if ct == "" {
		return mediaAbsent
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	switch {
	case ct == "":
		return mediaAbsent
	case strings.EqualFold(ct, "application/json"), strings.EqualFold(ct, "text/json"):
		return mediaJSON
	case len(ct) > 5 && strings.EqualFold(ct[len(ct)-5:], "+json"):
		return mediaJSON
	case len(ct) > 5 && strings.EqualFold(ct[:5], "text/"):
		return mediaText
	}
	return mediaOther
}

// Content types of replies made by typed handlers.
const (
	contentTypeJSON   = "application/json"
	contentTypeText   = "text/plain; charset=utf-8"
	contentTypeBinary = "application/octet-stream"
)
