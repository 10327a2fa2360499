import json, requests, base64, os
BASE = "http://127.0.0.1:8091"
OUT = "/work/main/tests/data/pb_reference"
KEEP = ["content-type","content-length","x-content-type-options","x-frame-options","x-xss-protection",
        "cross-origin-opener-policy","vary","access-control-allow-origin","allow","location","cache-control",
        "content-disposition","content-security-policy","referrer-policy","strict-transport-security"]

class Recorder:
    def __init__(self, name):
        self.name = name
        self.probes = []
    def req(self, method, path, note=None, token=None, json_body=None, data=None, files=None, headers=None, raw=None, record=True, truncate_req_body=False):
        h = dict(headers or {})
        if token:
            h["Authorization"] = token
        kw = {}
        reqbody = None
        if json_body is not None:
            kw["data"] = json.dumps(json_body)
            h.setdefault("Content-Type", "application/json")
            reqbody = json_body
        elif raw is not None:
            kw["data"] = raw
            reqbody = raw if isinstance(raw, str) and len(raw) < 2000 else f"<raw {len(raw)} bytes>"
        elif data is not None or files is not None:
            kw["data"] = data; kw["files"] = files
            reqbody = {"multipart_fields": data, "multipart_files": {k: (v[0] if isinstance(v, tuple) else "file") for k, v in (files.items() if isinstance(files, dict) else [(f[0], f[1]) for f in (files or [])])}}
        r = requests.request(method, BASE + path, headers=h, **kw)
        try:
            body = r.json()
        except Exception:
            body = r.text if len(r.text) < 5000 else r.text[:5000] + "...<truncated>"
        if record:
            self.probes.append({
                "note": note, "method": method, "url": path,
                "request_headers": {k: (v if k != "Authorization" else v) for k, v in h.items()},
                "request_body": reqbody,
                "status": r.status_code,
                "response_headers": {k.lower(): v for k, v in r.headers.items() if k.lower() in KEEP},
                "response_body": body,
            })
        return r
    def add(self, note, obj):
        self.probes.append({"note": note, "data": obj})
    def save(self):
        with open(os.path.join(OUT, self.name), "w") as f:
            json.dump({"pocketbase_version": "0.40.6", "probes": self.probes}, f, indent=2, ensure_ascii=False)
        print("saved", self.name, len(self.probes))

def su_token():
    r = requests.post(BASE + "/api/collections/_superusers/auth-with-password", json={"identity": "admin@example.com", "password": "1234567890"})
    return r.json()["token"]

def jwt_decode(tok):
    parts = tok.split(".")
    def d(s):
        s += "=" * (-len(s) % 4)
        return json.loads(base64.urlsafe_b64decode(s))
    return {"header": d(parts[0]), "payload": d(parts[1]), "signature_len": len(parts[2])}
