from probe import *
import io
R = Recorder("records_crud.json")
T = su_token()
uids = []
for e in ["u1@example.com","u2@example.com","u3@example.com"]:
    uids.append(requests.post(BASE+"/api/collections/users/records", json={"email":e,"password":"12345678","passwordConfirm":"12345678"}).json()["id"])
UT = requests.post(BASE+"/api/collections/users/auth-with-password", json={"identity":"u1@example.com","password":"12345678"}).json()["token"]
posts = {
  "name": "posts", "type": "base",
  "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
  "fields": [
    {"name":"title","type":"text","required":True,"min":3,"max":50,"pattern":"^[A-Za-z0-9 ]+$"},
    {"name":"views","type":"number","min":0,"max":1000,"onlyInt":True},
    {"name":"score","type":"number"},
    {"name":"published","type":"bool"},
    {"name":"contact","type":"email"},
    {"name":"website","type":"url"},
    {"name":"body","type":"editor"},
    {"name":"publishedAt","type":"date"},
    {"name":"created","type":"autodate","onCreate":True,"onUpdate":False},
    {"name":"updated","type":"autodate","onCreate":True,"onUpdate":True},
    {"name":"status","type":"select","values":["draft","published","archived"],"maxSelect":1},
    {"name":"tags","type":"select","values":["a","b","c","d","e"],"maxSelect":3},
    {"name":"meta","type":"json"},
    {"name":"author","type":"relation","collectionId":"_pb_users_auth_","maxSelect":1,"cascadeDelete":True},
    {"name":"editors","type":"relation","collectionId":"_pb_users_auth_","maxSelect":5,"cascadeDelete":True},
    {"name":"cover","type":"file","maxSelect":1,"maxSize":5242880},
    {"name":"attachments","type":"file","maxSelect":5},
    {"name":"location","type":"geoPoint"},
    {"name":"secret","type":"text","hidden":True},
  ],
  "indexes": ["CREATE INDEX idx_posts_views ON posts (views)", "CREATE UNIQUE INDEX idx_posts_title ON posts (title)"],
}
r = requests.post(BASE+"/api/collections", json=posts, headers={"Authorization":T}); assert r.status_code==200, r.text
pid = r.json()["id"]
R.add("posts collection schema used", r.json())
P = "/api/collections/posts/records"

r = R.req("POST", P, "create minimal (title only) as anonymous -> shows empty/default representation of every field type", json_body={"title":"Minimal"})
min_id = r.json()["id"]
full = {"title":"Full post","views":5,"score":3.75,"published":True,"contact":"a@example.com","website":"https://example.com/x",
        "body":"<p>Hello</p>","publishedAt":"2024-01-02 03:04:05.678Z","status":"draft","tags":["a","b"],"meta":{"k":[1,2,{"x":None}]},
        "author":uids[0],"editors":[uids[0],uids[1]],"location":{"lon":23.5,"lat":42.1},"secret":"hidden value"}
r = R.req("POST", P, "create full via JSON", json_body=full)
full_id = r.json()["id"]
R.req("POST", P, "create with date in RFC3339 'T' format and number as string, bool as string, tags as single string", json_body={"title":"Formats one","publishedAt":"2024-05-06T07:08:09Z","views":"12","published":"true","tags":"c","status":"","meta":"plain string","score":"1.5"})
R.req("POST", P, "create with meta=null, json number, editors as single id string", json_body={"title":"Formats two","meta":None,"editors":uids[2]})
R.req("POST", P, "create with meta=123 and date with only date part", json_body={"title":"Formats three","meta":123,"publishedAt":"2024-05-06"})
R.req("POST", P, "create with custom valid id", json_body={"id":"abcdefghijklmno","title":"Custom id"})
R.req("POST", P, "create with duplicate custom id", json_body={"id":"abcdefghijklmno","title":"Custom id two"})
R.req("POST", P, "create with invalid custom id (uppercase/short)", json_body={"id":"ABC","title":"Bad id"})
R.req("POST", P, "create with custom id too long", json_body={"id":"a"*20,"title":"Bad id two"})
R.req("POST", P, "create with custom id 15 chars with uppercase", json_body={"id":"ABCDEFGHIJKLMNO","title":"Bad id three"})
R.req("POST", P, "create with autodate created/updated supplied (ignored?)", json_body={"title":"Autodate given","created":"2000-01-01 00:00:00.000Z","updated":"2000-01-01 00:00:00.000Z"})

# multipart
files = [("cover", ("cover.png", b"\x89PNG\r\n\x1a\n" + b"0"*100, "image/png")),
         ("attachments", ("a one.txt", b"hello", "text/plain")),
         ("attachments", ("b.txt", b"world", "text/plain"))]
r = R.req("POST", P, "create via multipart/form-data with files and @jsonPayload", data={"title":"Multipart post","views":"7","published":"true","tags":["a","c"],"@jsonPayload":json.dumps({"meta":{"from":"payload"},"status":"published"})}, files=files)
mp_id = r.json().get("id")
R.req("POST", P, "multipart: fields only, no files", data={"title":"Multipart two","tags":"b","editors":uids[0],"meta":'{"x":1}', "location":'{"lon":1,"lat":2}'})
R.req("POST", P, "multipart: too many files for single file field", data={"title":"Too many files"}, files=[("cover",("a.txt",b"a","text/plain")),("cover",("b.txt",b"b","text/plain"))])
R.req("POST", P, "multipart: file too big (maxSize 5MB for cover)", data={"title":"Big file"}, files=[("cover",("big.bin",b"0"*(5242880+10),"application/octet-stream"))])
R.req("POST", P, "create: file field set as string in JSON", json_body={"title":"File as string","cover":"x.png"})
if mp_id:
    rec = requests.get(BASE+P+"/"+mp_id).json()
    R.req("GET", f"/api/files/posts/{mp_id}/{rec['cover']}", "download file")
    R.req("GET", f"/api/files/posts/{mp_id}/nope.png", "download unknown file")
    R.req("PATCH", P+"/"+mp_id, "multipart PATCH: attachments+ append one file", data={}, files=[("attachments+",("c.txt",b"c","text/plain"))])
    rec = requests.get(BASE+P+"/"+mp_id).json()
    R.req("PATCH", P+"/"+mp_id, "JSON PATCH: attachments- remove one file by name", json_body={"attachments-":[rec["attachments"][0]]})
    R.req("PATCH", P+"/"+mp_id, "JSON PATCH: cover null (delete file)", json_body={"cover":None})

# list
R.req("GET", P, "list default paging")
R.req("GET", P+"?page=2&perPage=1", "page=2&perPage=1")
R.req("GET", P+"?sort=-title,created", "sort=-title,created")
R.req("GET", P+"?skipTotal=1", "skipTotal=1")
R.req("GET", P+"?perPage=5000", "perPage=5000 clamp")
R.req("GET", P+"?perPage=0&page=0", "perPage=0&page=0")
R.req("GET", P+"?perPage=-1&page=-5", "negative paging")
R.req("GET", P+"?page=abc", "page=abc")
R.req("GET", P+"?page=999", "page beyond end")
R.req("GET", P+"?filter=views>3&sort=views", "filter=views>3")
R.req("GET", P+"?filter=title~'post'", "filter title~'post'")
R.req("GET", P+"?filter=(((", "invalid filter (((")
R.req("GET", P+"?filter=nope=1", "filter unknown field")
R.req("GET", P+"?sort=nope", "invalid sort field")
R.req("GET", P+"?sort=-title,,", "sort with empty parts")
R.req("GET", P+"?fields=id,title,meta&perPage=2", "fields=id,title,meta")
R.req("GET", P+"?expand=author,editors&filter=author!=''", "expand=author,editors")
R.req("GET", P+"?expand=nope", "expand unknown")
R.req("GET", P+f"/{full_id}?expand=author", "view with expand")
R.req("GET", P+f"/{full_id}", "view full record")
R.req("GET", P+f"/{full_id}", "view full record as superuser (hidden field shown?)", token=T)
R.req("GET", P+f"/{min_id}", "view minimal record")
R.req("GET", P+"/nope123456789ab", "unknown record id 404")
R.req("GET", "/api/collections/nope/records", "unknown collection 404 list")
R.req("GET", "/api/collections/nope/records/abc", "unknown collection 404 view")
R.req("POST", "/api/collections/nope/records", "unknown collection 404 create", json_body={"a":1})

# PATCH modifiers
R.req("PATCH", P+f"/{full_id}", "views+ 10", json_body={"views+":10})
R.req("PATCH", P+f"/{full_id}", "views- 3", json_body={"views-":3})
R.req("PATCH", P+f"/{full_id}", "views- 100 -> negative, below min 0", json_body={"views-":100})
R.req("PATCH", P+f"/{full_id}", "tags+ 'c'", json_body={"tags+":"c"})
R.req("PATCH", P+f"/{full_id}", "+tags ['d'] (prepend) -> 4 tags > maxSelect 3", json_body={"+tags":["d"]})
R.req("PATCH", P+f"/{full_id}", "tags- 'a'", json_body={"tags-":"a"})
R.req("PATCH", P+f"/{full_id}", "+tags 'e' (prepend)", json_body={"+tags":"e"})
R.req("PATCH", P+f"/{full_id}", "tags- ['b','zz'] list", json_body={"tags-":["b","zz"]})
R.req("PATCH", P+f"/{full_id}", "editors+ u3, editors- u1", json_body={"editors+":uids[2],"editors-":uids[0]})
R.req("PATCH", P+f"/{full_id}", "+editors u1", json_body={"+editors":[uids[0]]})
R.req("PATCH", P+f"/{full_id}", "editors+ duplicate id", json_body={"editors+":uids[0]})
R.req("PATCH", P+f"/{full_id}", "set title and clear fields with null/empty", json_body={"title":"Full post renamed","tags":[],"meta":None,"publishedAt":"","author":"","location":None,"website":"","contact":""})
R.req("PATCH", P+f"/{full_id}", "PATCH id change attempt", json_body={"id":"zzzzzzzzzzzzzzz"})
R.req("PATCH", P+"/nope123456789ab", "PATCH unknown record", json_body={"title":"xxx"})
R.req("PATCH", P+f"/{full_id}", "PATCH empty body {}", json_body={})

# Validation errors
R.req("POST", P, "missing required (title)", json_body={"views":1})
R.req("POST", P, "empty body {}", json_body={})
R.req("POST", P, "no body at all", )
R.req("POST", P, "string into number", json_body={"title":"Bad num","views":"abc"})
R.req("POST", P, "float into onlyInt number", json_body={"title":"Bad int","views":1.5})
R.req("POST", P, "number above max", json_body={"title":"Num max","views":5000})
R.req("POST", P, "number below min", json_body={"title":"Num min","views":-1})
R.req("POST", P, "number into bool", json_body={"title":"Bad bool","published":5})
R.req("POST", P, "string 'abc' into bool", json_body={"title":"Bad bool two","published":"abc"})
R.req("POST", P, "bad email", json_body={"title":"Bad email","contact":"not-an-email"})
R.req("POST", P, "bad url", json_body={"title":"Bad url","website":"not a url"})
R.req("POST", P, "value not in select", json_body={"title":"Bad select","status":"nope"})
R.req("POST", P, "too many selects", json_body={"title":"Too many","tags":["a","b","c","d"]})
R.req("POST", P, "multiple values into single select", json_body={"title":"Multi single","status":["draft","published"]})
R.req("POST", P, "bad json (invalid JSON string) into json field", raw='{"title":"Bad json","meta":"{invalid"}', headers={"Content-Type":"application/json"})
R.req("POST", P, "multipart: invalid json text into json field", data={"title":"Bad json mp","meta":"{invalid"})
R.req("POST", P, "relation to nonexistent id", json_body={"title":"Bad rel","author":"nonexistent1234"})
R.req("POST", P, "too many relations into single relation", json_body={"title":"Multi rel","author":uids[:2]})
R.req("POST", P, "text too short", json_body={"title":"ab"})
R.req("POST", P, "text too long", json_body={"title":"x"*60})
R.req("POST", P, "text pattern mismatch", json_body={"title":"bad!!!"})
R.req("POST", P, "date bad format", json_body={"title":"Bad date","publishedAt":"yesterday"})
R.req("POST", P, "geoPoint bad", json_body={"title":"Bad geo","location":{"lon":500,"lat":100}})
R.req("POST", P, "geoPoint as string", json_body={"title":"Bad geo two","location":"x"})
R.req("POST", P, "many errors at once", json_body={"title":"ab","views":"abc","contact":"x","website":"y","status":"nope","tags":["a","b","c","d"],"author":"nonexistent1234","publishedAt":"bad"})
R.req("POST", P, "not unique (unique index on title violation)", json_body={"title":"Full post renamed"})
R.req("POST", P, "malformed JSON body", raw='{"title": "x', headers={"Content-Type":"application/json"})
R.req("POST", P, "JSON array body", raw='[1,2]', headers={"Content-Type":"application/json"})
R.req("POST", P, "text/plain body", raw='title=abc', headers={"Content-Type":"text/plain"})
R.req("POST", P, "urlencoded form body", raw='title=Urlencoded+post&views=3', headers={"Content-Type":"application/x-www-form-urlencoded"})
R.req("POST", P, "unknown field in body (ignored?)", json_body={"title":"Unknown field","nope":1})

# body too large
big = b'{"title":"' + b"x"*(40*1024*1024) + b'"}'
try:
    R.req("POST", P, "40MB JSON to posts: NOT 413 because posts body limit = 32MiB + sum of field CalculateMaxBodySize (cover 5MiB + attachments 5x5MiB + json 1MiB + editor 5MiB) = 68MiB; so body parsed and validated", raw=big, headers={"Content-Type":"application/json"})
except Exception as e:
    R.add("body too large (40MB JSON) raised client exception", repr(e))
# unknown route & wrong methods
R.req("GET", "/api/nope", "unknown route")
R.req("POST", "/api/nope", "unknown route POST")
R.req("GET", "/nope", "unknown non-api route")
R.req("PUT", "/api/health", "wrong method PUT /api/health")
R.req("DELETE", P, "wrong method DELETE records list")
R.req("PUT", P+f"/{full_id}", "wrong method PUT record")
R.req("OPTIONS", P, "OPTIONS (CORS preflight)", headers={"Origin":"http://example.com","Access-Control-Request-Method":"POST"})
R.req("GET", P+"?perPage=1", "GET with Origin header (CORS)", headers={"Origin":"http://example.com"})

# DELETE
R.req("DELETE", P+f"/{min_id}", "DELETE record 204")
R.req("DELETE", P+f"/{min_id}", "DELETE again 404")

# null rules as anonymous
requests.patch(BASE+"/api/collections/posts", json={"listRule":None,"viewRule":None,"createRule":None,"updateRule":None,"deleteRule":None}, headers={"Authorization":T})
R.req("GET", P, "null listRule as anonymous")
R.req("GET", P+f"/{full_id}", "null viewRule as anonymous")
R.req("POST", P, "null createRule as anonymous", json_body={"title":"Anon create"})
R.req("PATCH", P+f"/{full_id}", "null updateRule as anonymous", json_body={"title":"Anon update"})
R.req("DELETE", P+f"/{full_id}", "null deleteRule as anonymous")
R.req("GET", P, "null listRule as normal user", token=UT)
R.req("GET", P+f"/{full_id}", "null viewRule as normal user", token=UT)
R.req("POST", P, "null createRule as normal user", json_body={"title":"User create"}, token=UT)
R.req("DELETE", P+f"/{full_id}", "null deleteRule as normal user", token=UT)
R.req("GET", P+"?perPage=2", "null listRule as superuser", token=T)
# restrictive rules
requests.patch(BASE+"/api/collections/posts", json={"listRule":"@request.auth.id != ''","viewRule":"@request.auth.id != ''","createRule":"@request.auth.id != ''","updateRule":"@request.auth.id != ''","deleteRule":"@request.auth.id != ''"}, headers={"Authorization":T})
R.req("GET", P, "listRule auth required, anonymous -> empty list filtered (200)")
R.req("GET", P+f"/{full_id}", "viewRule auth required, anonymous -> 404")
R.req("POST", P, "createRule auth required, anonymous -> 400", json_body={"title":"Anon create two"})
R.req("PATCH", P+f"/{full_id}", "updateRule auth required, anonymous -> 404", json_body={"title":"Anon upd two"})
R.req("DELETE", P+f"/{full_id}", "deleteRule auth required, anonymous -> 404")
R.req("GET", P+"?filter=title!=''&perPage=1", "listRule auth-required, as user", token=UT)
requests.patch(BASE+"/api/collections/posts", json={"listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":""}, headers={"Authorization":T})
R.req("GET", P+"?filter=secret='hidden value'", "filter by hidden field as anonymous")
R.req("GET", P+"?filter=secret='hidden value'", "filter by hidden field as superuser", token=T)

# relation delete behaviour
requests.post(BASE+"/api/collections", json={"name":"comments","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":"","fields":[
    {"name":"text","type":"text"},{"name":"post","type":"relation","collectionId":pid,"required":True,"maxSelect":1,"cascadeDelete":False}]}, headers={"Authorization":T})
requests.post(BASE+"/api/collections", json={"name":"likes","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":"","fields":[
    {"name":"post","type":"relation","collectionId":pid,"required":True,"maxSelect":1,"cascadeDelete":True}]}, headers={"Authorization":T})
requests.post(BASE+"/api/collections", json={"name":"bookmarks","listRule":"","viewRule":"","createRule":"","updateRule":"","deleteRule":"","fields":[
    {"name":"post","type":"relation","collectionId":pid,"required":False,"maxSelect":1,"cascadeDelete":False}]}, headers={"Authorization":T})
a = requests.post(BASE+P, json={"title":"Ref target one"}).json()["id"]
b = requests.post(BASE+P, json={"title":"Ref target two"}).json()["id"]
c = requests.post(BASE+P, json={"title":"Ref target three"}).json()["id"]
R.req("POST", "/api/collections/comments/records", "create comment referencing post a (required, no cascade)", json_body={"text":"hi","post":a})
R.req("POST", "/api/collections/likes/records", "create like referencing post b (cascade)", json_body={"post":b})
bm = R.req("POST", "/api/collections/bookmarks/records", "create bookmark referencing post c (optional, no cascade)", json_body={"post":c}).json()["id"]
R.req("DELETE", P+f"/{a}", "delete post referenced by required non-cascade relation -> refused")
R.req("DELETE", P+f"/{b}", "delete post referenced by cascade relation -> 204, like deleted")
R.req("GET", "/api/collections/likes/records", "likes after cascade delete")
R.req("DELETE", P+f"/{c}", "delete post referenced by optional non-cascade relation -> 204, reference unset")
R.req("GET", f"/api/collections/bookmarks/records/{bm}", "bookmark after referenced post deleted")
R.req("GET", P+f"/{a}?expand=comments_via_post", "back-relation expand comments_via_post")
R.req("POST", P, "superuser create with hidden field value", token=T, json_body={"title":"Hidden by su","secret":"hidden value"})
R.req("GET", P+"?filter=secret='hidden value'", "filter by hidden field as superuser (after su create)", token=T)
R.req("GET", P+"?filter=secret='hidden value'&fields=id,title,secret", "list with fields=secret as anonymous (hidden not shown)")
R.req("GET", P+"?expand=author,editors&filter=author!=''", "expand=author,editors as superuser", token=T)
R.req("GET", P+"?expand=editors&perPage=1&filter=editors:length>1", "expand=editors as user u1 (users viewRule id=@request.auth.id)", token=UT)
for n in [40*1024*1024, 33554432-11, 33554432-10]:
    big = b'{"text":"' + b"x"*n + b'"}'
    try:
        R.req("POST", "/api/collections/comments/records", f"JSON body of {len(big)} bytes to comments (no file/json/editor fields -> limit exactly 32MiB=33554432)", raw=big, headers={"Content-Type":"application/json"})
    except Exception as e:
        R.add("body too large raised client exception", repr(e))
R.save()
