"""A local fake of a Przelewy24-style payment provider, written from its public REST API v1 documentation
(developers.przelewy24.pl): what odra's services/pay_online.c talks to in the tests.

- POST /api/v1/transaction/register (HTTP Basic posId:apiKey, JSON): checks every required member and
  sign = SHA-384 of {"sessionId","merchantId","amount","currency","crc"} (json_encode with
  JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES: no spaces, Unicode and '/' as they are); answers
  {"data": {"token": ...}, "responseCode": 0}, else 400 / 401 as the provider does.
- GET /trnRequest/{token}: the payer "pays": the fake POSTs the notification to the transaction's urlStatus,
  signed over {"merchantId","posId","sessionId","amount","originAmount","currency","orderId","methodId",
  "statement","crc"}, and answers what odra answered it (for the test to see).
- PUT /api/v1/transaction/verify: checks Basic auth and sign over {"sessionId","orderId","amount","currency",
  "crc"} and that the order was paid with that amount; {"data": {"status": "success"}, "responseCode": 0}.

Everything it received is kept in .calls for the test's assertions.
"""
import base64
import hashlib
import http.client
import http.server
import json
import threading
import urllib.parse


def sign(obj):
    return hashlib.sha384(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


class FakeP24:
    def __init__(self, merchant_id, pos_id, crc, api_key):
        self.merchant_id, self.pos_id, self.crc, self.api_key = merchant_id, pos_id, crc, api_key
        self.transactions = {}  # token -> register body
        self.paid = {}  # orderId -> (sessionId, amount)
        self.calls = []
        self.next_order = 316000001
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                n = int(self.headers.get("Content-Length", "0"))
                return json.loads(self.rfile.read(n) or b"null")

            def _auth_ok(self):
                want = "Basic " + base64.b64encode(f"{fake.pos_id}:{fake.api_key}".encode()).decode()
                return self.headers.get("Authorization") == want

            def do_POST(self):
                if self.path != "/api/v1/transaction/register":
                    return self._answer(404, {"error": "not found"})
                body = self._body()
                fake.calls.append(("register", body))
                if not self._auth_ok():
                    return self._answer(401, {"error": "Incorrect authentication", "code": 401})
                need = ("merchantId", "posId", "sessionId", "amount", "currency", "description", "email", "country",
                        "language", "urlReturn", "sign")
                if not isinstance(body, dict) or any(k not in body for k in need):
                    return self._answer(400, {"error": "Invalid input data", "code": 400})
                want = sign({"sessionId": body["sessionId"], "merchantId": body["merchantId"],
                             "amount": body["amount"], "currency": body["currency"], "crc": fake.crc})
                if body["sign"] != want or body["merchantId"] != fake.merchant_id:
                    return self._answer(400, {"error": "Incorrect sign", "code": 400})
                token = "TOKEN" + hashlib.sha1(body["sessionId"].encode()).hexdigest()[:20].upper()
                fake.transactions[token] = body
                return self._answer(200, {"data": {"token": token}, "responseCode": 0})

            def do_PUT(self):
                if self.path != "/api/v1/transaction/verify":
                    return self._answer(404, {"error": "not found"})
                body = self._body()
                fake.calls.append(("verify", body))
                if not self._auth_ok():
                    return self._answer(401, {"error": "Incorrect authentication", "code": 401})
                want = sign({"sessionId": body.get("sessionId"), "orderId": body.get("orderId"),
                             "amount": body.get("amount"), "currency": body.get("currency"), "crc": fake.crc})
                paid = fake.paid.get(body.get("orderId"))
                if body.get("sign") != want or not paid or paid != (body["sessionId"], body["amount"]):
                    return self._answer(400, {"error": "Incorrect sign or transaction", "code": 400})
                return self._answer(200, {"data": {"status": "success"}, "responseCode": 0})

            def do_GET(self):
                token = self.path.rsplit("/", 1)[-1]
                t = fake.transactions.get(token)
                if not self.path.startswith("/trnRequest/") or not t:
                    return self._answer(404, {"error": "no such transaction"})
                status, answer = fake.notify(t)
                return self._answer(200, {"notified": status, "answer": answer})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def notice(self, t, amount=None, order_id=None, crc=None, method_id=25):
        """The notification of a payment of transaction t (a register body), signed with crc."""
        order_id = order_id or self.next_order
        self.next_order += 1
        n = {"merchantId": self.merchant_id, "posId": self.pos_id, "sessionId": t["sessionId"],
             "amount": t["amount"] if amount is None else amount, "originAmount": t["amount"],
             "currency": "PLN", "orderId": order_id, "methodId": method_id,
             "statement": "p24-A12-B34-C56"}
        n["sign"] = sign({**{k: n[k] for k in ("merchantId", "posId", "sessionId", "amount", "originAmount",
                                               "currency", "orderId", "methodId", "statement")},
                          "crc": self.crc if crc is None else crc})
        return n

    def post(self, url, n):
        """POSTs notification n to url (urlStatus); (status, answer JSON)."""
        u = urllib.parse.urlparse(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conn.request("POST", u.path, body=json.dumps(n).encode(), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data.decode(errors="replace")

    def notify(self, t, **kw):
        n = self.notice(t, **kw)
        self.paid[n["orderId"]] = (n["sessionId"], n["amount"])
        return self.post(t["urlStatus"], n)

    def stop(self):
        self.server.shutdown()
