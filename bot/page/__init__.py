"""lenspin's own web pages: the connect page, served by the same WSGI app as Slack's endpoint.

Knows HTTP and HTML and nothing of Slack or zeep; renders with the standard library's
string.Template, escaping every value that is not already HTML.
"""
