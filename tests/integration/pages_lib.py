"""What the page tests share: a page's links, forms and headings (Page), a browser with JavaScript off
(Browser: cookies, redirects, forms) and the rules every page keeps (check_page)."""
import html.parser
import http.client
import urllib.parse


class Page(html.parser.HTMLParser):
    """What a test needs of a page: links, forms with their fields, the language, headings, inline code."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.links, self.forms, self.h1, self.lang, self.inline, self.ids = [], [], 0, None, [], []
        self._form = None
        self._h1 = False
        self.h1_text = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if "style" in a:
            self.inline.append(f"style attribute on <{tag}>")
        if any(k.startswith("on") for k in a):
            self.inline.append(f"event handler on <{tag}>")
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "script" and not a.get("src"):
            self.inline.append("inline <script>")
        elif tag == "style":
            self.inline.append("<style> element")
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action"), "fields": {}}
            self.forms.append(self._form)
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._form is not None and getattr(self, "_select", None):
            if self._select not in self._form["fields"] or "selected" in a:  # the first option, or the chosen
                self._form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][a["name"]] = ""
        elif tag == "input" and self._form is not None and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "h1":
            self.h1 += 1
            self._h1 = True

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self._form = None
        if tag == "h1":
            self._h1 = False

    def handle_data(self, data):
        if getattr(self, "_textarea", None) and self._form is not None:
            self._form["fields"][self._textarea] += data
        if self._h1:
            self.h1_text += data


class Browser:
    """Cookies, redirects and forms, as a browser with JavaScript off, on the server at port."""

    def __init__(self, port, lang=None):
        self.port, self.cookies, self.lang = port, {}, lang

    def request(self, method, path, body=None, ctype=None, follow=True):
        for _ in range(5):
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            h = {}
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if self.lang:
                h["Accept-Language"] = self.lang
            if ctype:
                h["Content-Type"] = ctype
            c.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
            r = c.getresponse()
            data = r.read()
            headers = {}
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";")[0]
                    if "Max-Age=0" in v or not value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
                headers[k.lower()] = v
            c.close()
            if follow and r.status in (301, 302, 303) and headers.get("location", "").startswith("/"):
                method, path, body, ctype = "GET", headers["location"].split("#")[0], None, None
                continue
            return r.status, headers, data
        raise AssertionError("too many redirects")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def submit(self, form, **values):
        fields = dict(form["fields"], **values)
        body = urllib.parse.urlencode(fields)
        if form["method"] == "get":
            return self.get(form["action"] + "?" + body)
        return self.request("POST", form["action"], body=body, ctype="application/x-www-form-urlencoded")

    def login(self, tenant, login, password):
        s, h, b = self.get(f"/{tenant}/signin")
        form = next(f for f in Page(b.decode()).forms if f["action"] == f"/{tenant}/signin")
        return self.submit(form, login=login, password=password)


def check_page(path, status, headers, body, lang):
    """The rules every page keeps."""
    csp = headers.get("content-security-policy", "")
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert "frame-ancestors 'none'" in csp, (path, csp)
    assert headers.get("x-content-type-options") == "nosniff", path
    p = Page(body.decode())
    assert p.lang == lang, (path, p.lang, lang)
    assert p.h1 == 1, (path, p.h1)
    assert not p.inline, (path, p.inline)
    assert len(p.ids) == len(set(p.ids)), (path, "duplicate ids")
    for f in p.forms:
        if f["method"] == "post":
            assert f["fields"].get("csrf"), (path, f)
        assert f["action"] and f["action"].startswith("/"), (path, f)
    return p


# Hostile values for every field: markup, an attribute break-out, SQL, an RTL override, 10,000 characters,
# template-looking text.
HOSTILE = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE cases; --",
           "abc\u202egnp.exe", "x" * 10000 + "<b>", "{{> head}}{{raw title}}"]


def assert_clean(path, s, body, headers=None):
    assert s < 500, (path, s)
    if headers is not None and not headers.get("content-type", "").startswith("text/html"):
        return  # the router's JSON errors (a path no page has): never rendered as HTML (nosniff)
    text = body.decode("utf-8")
    for bad in ("<script>alert", "<img src=x", "\u202e", "<b>", "{{> head}}"):
        assert bad not in text, (path, bad)
