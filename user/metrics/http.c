// SPDX-License-Identifier: GPL-2.0
/*
 * Requests are checked strictly (RFC 9112's grammar, minus what a scraper
 * never sends: obs-fold, absolute-form targets) and anything else is a 400;
 * the connection closes after every answer, so no body or pipelining matters.
 */
#include <string.h>

#include "metrics/http.h"

/* RFC 9110 tchar: the characters of a method or a header name. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* The end of the line starting at p (its \n), or NULL if none before end. */
static const char *line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* Line [p, nl) without its \r. */
static size_t line_len(const char *p, const char *nl)
{
	size_t n = (size_t)(nl - p);

	return n && p[n - 1] == '\r' ? n - 1 : n;
}

/* "METHOD SP target SP HTTP/1.x": 0 with *r filled, or a status code. */
static int parse_request_line(const char *p, size_t n, struct http_req *r)
{
	size_t i = 0, m, t0, t;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	m = i;
	if (!m || i >= n || p[i] != ' ')
		return 400;
	t0 = ++i;
	while (i < n && (unsigned char)p[i] > ' ' && p[i] != 0x7f)
		i++;
	t = i - t0;
	if (!t || i >= n || p[i] != ' ')
		return 400;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7))
		return n - i == 8 && !memcmp(p + i, "HTTP/", 5) ? 505 : 400;
	if (p[i + 7] != '0' && p[i + 7] != '1')
		return 505;
	if (p[t0] != '/')
		return 400; /* origin-form only: no proxy requests, no OPTIONS * */
	/* The path ends at the query; a fragment is never sent. */
	for (i = 0; i < t && p[t0 + i] != '?' && p[t0 + i] != '#'; i++)
		;
	if (i >= HTTP_MAX_PATH)
		return 414;
	memcpy(r->path, p + t0, i);
	r->path[i] = 0;
	if (m == 3 && !memcmp(p, "GET", 3))
		r->head = false;
	else if (m == 4 && !memcmp(p, "HEAD", 4))
		r->head = true;
	else
		return 405;
	return 0;
}

/* "name: value"; a header is read only to check it. */
static bool header_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (!i || i >= n || p[i] != ':')
		return false;
	for (i++; i < n; i++)
		if (((unsigned char)p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
			return false;
	return true;
}

int http_parse(const char *buf, size_t len, struct http_req *r)
{
	const char *end = buf + (len > HTTP_MAX_REQUEST ? HTTP_MAX_REQUEST : len);
	const char *p = buf, *nl;
	int err;

	/* RFC 9112 2.2: empty lines before the request line are ignored */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	nl = line_end(p, end);
	if (!nl)
		return len >= HTTP_MAX_REQUEST ? 414 : HTTP_MORE;
	err = parse_request_line(p, line_len(p, nl), r);
	if (err)
		return err;
	for (p = nl + 1;; p = nl + 1) {
		nl = line_end(p, end);
		if (!nl)
			return len >= HTTP_MAX_REQUEST ? 431 : HTTP_MORE;
		if (!line_len(p, nl))
			return HTTP_OK;
		if (!header_ok(p, line_len(p, nl)))
			return 400; /* also obs-fold: a line starting with a space */
	}
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

void http_answer(struct mbuf *out, int status, const char *ctype, const char *extra,
		 const void *body, size_t len, bool head)
{
	mbuf_printf(out,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\nCache-Control: no-store\r\n%s\r\n",
		    status, http_reason(status), ctype, len, extra ? extra : "");
	if (!head)
		mbuf_put(out, body, len);
}
