from probe import *
R = Recorder("collections_crud.json")
T = su_token()
# normal user
requests.post(BASE+"/api/collections/users/records", json={"email":"u1@example.com","password":"12345678","passwordConfirm":"12345678"})
UT = requests.post(BASE+"/api/collections/users/auth-with-password", json={"identity":"u1@example.com","password":"12345678"}).json()["token"]

posts = {
  "name": "posts", "type": "base",
  "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
  "fields": [
    {"name":"title","type":"text","required":True,"min":3,"max":50,"pattern":"^[A-Za-z0-9 ]+$"},
    {"name":"views","type":"number","min":0,"max":1000,"onlyInt":True},
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
  ],
  "indexes": ["CREATE INDEX idx_posts_views ON posts (views)", "CREATE UNIQUE INDEX idx_posts_title ON posts (title)"],
}
r = R.req("POST", "/api/collections", "create posts with every field type", token=T, json_body=posts)
pid = r.json()["id"]

# minimal field defaults
minimal = {"name":"defaults_demo","type":"base","fields":[{"name":"f_"+t,"type":t} for t in
   ["text","number","bool","email","url","editor","date","json","file","geoPoint","password"]] + [{"name":"f_autodate","type":"autodate","onCreate":True},{"name":"f_select","type":"select","values":["x"]}] +
   [{"name":"f_relation","type":"relation","collectionId":"_pb_users_auth_"}]}
r = R.req("POST", "/api/collections", "create collection with minimal field specs {name,type} to see every type's default options", token=T, json_body=minimal)
R.req("POST", "/api/collections", "minimal select without values", token=T, json_body={"name":"sel_demo","fields":[{"name":"s","type":"select"}]})
r = R.req("POST", "/api/collections", "create with only name (type omitted)", token=T, json_body={"name":"only_name"})
R.req("POST", "/api/collections", "create auth collection minimal", token=T, json_body={"name":"members","type":"auth"})
R.req("GET", "/api/collections/posts", "view posts by name", token=T)
R.req("GET", f"/api/collections/{pid}", "view posts by id", token=T)

# PATCH: rename field, add field, remove field, rename collection
cur = requests.get(BASE+"/api/collections/posts", headers={"Authorization":T}).json()
fields = cur["fields"]
for f in fields:
    if f["name"] == "body": f["name"] = "content"
fields = [f for f in fields if f["name"] != "website"]
fields.append({"name":"subtitle","type":"text"})
R.req("PATCH", "/api/collections/posts", "PATCH: rename body->content, remove website, add subtitle, rename collection posts->articles", token=T,
      json_body={"name":"articles","fields":fields})
R.req("PATCH", "/api/collections/articles", "PATCH rename back to posts and set listRule only", token=T, json_body={"name":"posts","listRule":"title != ''"})
R.req("PATCH", "/api/collections/posts", "PATCH with only indexes change", token=T, json_body={"indexes":["CREATE INDEX idx_posts_views ON posts (views)"]})
R.req("PATCH", "/api/collections/posts", "PATCH bad rule syntax", token=T, json_body={"listRule":"title ==== ("})
R.req("PATCH", "/api/collections/posts", "PATCH rule referencing unknown field", token=T, json_body={"listRule":"nope = 1"})
R.req("PATCH", "/api/collections/posts", "PATCH change field type (not allowed)", token=T, json_body={"fields":[dict(f, type="number") if f["name"]=="title" else f for f in requests.get(BASE+"/api/collections/posts", headers={"Authorization":T}).json()["fields"]]})
R.req("PATCH", "/api/collections/posts", "PATCH change type base->auth", token=T, json_body={"type":"auth"})
R.req("PATCH", "/api/collections/users", "PATCH users: try remove system field email", token=T, json_body={"fields":[f for f in requests.get(BASE+"/api/collections/users", headers={"Authorization":T}).json()["fields"] if f["name"]!="email"]})
R.req("PATCH", "/api/collections/_superusers", "PATCH _superusers rename (system)", token=T, json_body={"name":"admins"})
R.req("DELETE", "/api/collections/_superusers", "DELETE system collection", token=T)

# view collection
R.req("POST", "/api/collections", "create view collection SELECT id, title FROM posts", token=T,
      json_body={"name":"posts_view","type":"view","viewQuery":"SELECT id, title FROM posts","listRule":""})
R.req("POST", "/api/collections", "create view collection with expressions (count, created, relation) to see inferred fields", token=T,
      json_body={"name":"posts_stats","type":"view","viewQuery":"SELECT p.id, p.views, p.author, p.created, p.status, p.meta, (p.views*2) as dbl, count(p.id) as cnt FROM posts p GROUP BY p.id"})
R.req("POST", "/api/collections", "view with bad query", token=T, json_body={"name":"bad_view","type":"view","viewQuery":"SELECT nope FROM nowhere"})
R.req("POST", "/api/collections", "view without id column", token=T, json_body={"name":"bad_view2","type":"view","viewQuery":"SELECT title FROM posts"})
R.req("POST", "/api/collections", "view with non-select query", token=T, json_body={"name":"bad_view3","type":"view","viewQuery":"DELETE FROM posts"})

# errors
R.req("POST", "/api/collections", "create with missing name", token=T, json_body={"type":"base","fields":[]})
R.req("POST", "/api/collections", "create with empty body {}", token=T, json_body={})
R.req("POST", "/api/collections", "create duplicate name", token=T, json_body={"name":"posts"})
R.req("POST", "/api/collections", "create duplicate name different case", token=T, json_body={"name":"POSTS"})
R.req("POST", "/api/collections", "create invalid collection name", token=T, json_body={"name":"bad name!"})
R.req("POST", "/api/collections", "create name starting with underscore", token=T, json_body={"name":"_private"})
R.req("POST", "/api/collections", "create invalid collection type", token=T, json_body={"name":"x1","type":"weird"})
R.req("POST", "/api/collections", "create invalid field type", token=T, json_body={"name":"x2","fields":[{"name":"a","type":"weird"}]})
R.req("POST", "/api/collections", "create bad field name", token=T, json_body={"name":"x3","fields":[{"name":"bad name","type":"text"}]})
R.req("POST", "/api/collections", "create field name missing", token=T, json_body={"name":"x3b","fields":[{"type":"text"}]})
R.req("POST", "/api/collections", "create duplicate field names", token=T, json_body={"name":"x4","fields":[{"name":"a","type":"text"},{"name":"a","type":"text"}]})
R.req("POST", "/api/collections", "create reserved field name (expand)", token=T, json_body={"name":"x4b","fields":[{"name":"expand","type":"text"}]})
R.req("POST", "/api/collections", "create invalid index SQL", token=T, json_body={"name":"x5","fields":[{"name":"a","type":"text"}],"indexes":["CREATE INDEX nope"]})
R.req("POST", "/api/collections", "create index on unknown column", token=T, json_body={"name":"x5b","fields":[{"name":"a","type":"text"}],"indexes":["CREATE INDEX idx_x5b ON x5b (zzz)"]})
R.req("POST", "/api/collections", "create select without values", token=T, json_body={"name":"x6","fields":[{"name":"s","type":"select","values":[]}]})
R.req("POST", "/api/collections", "create relation to unknown collection", token=T, json_body={"name":"x7","fields":[{"name":"r","type":"relation","collectionId":"nope"}]})
R.req("POST", "/api/collections", "create text min > max", token=T, json_body={"name":"x8","fields":[{"name":"t","type":"text","min":10,"max":5}]})
R.req("POST", "/api/collections", "create with bad rule", token=T, json_body={"name":"x9","listRule":"(((","fields":[]})
R.req("POST", "/api/collections", "malformed JSON body", token=T, raw='{"name": ', headers={"Content-Type":"application/json"})

# delete referenced collection
R.req("POST", "/api/collections", "create comments referencing posts (non-cascade)", token=T, json_body={"name":"comments","fields":[{"name":"post","type":"relation","collectionId":pid,"required":True,"maxSelect":1}]})
R.req("DELETE", "/api/collections/posts", "delete collection referenced by a relation (comments.post) -> refused", token=T)
R.req("GET", "/api/collections/nope", "unknown collection 404", token=T)
R.req("DELETE", "/api/collections/nope", "delete unknown collection", token=T)
R.req("PATCH", "/api/collections/nope", "patch unknown collection", token=T, json_body={"name":"x"})
R.req("GET", "/api/collections", "list as anonymous", )
R.req("GET", "/api/collections/posts", "view as anonymous")
R.req("POST", "/api/collections", "create as anonymous", json_body={"name":"anon"})
R.req("GET", "/api/collections", "list as normal user", token=UT)
R.req("POST", "/api/collections", "create as normal user", token=UT, json_body={"name":"usr"})
R.req("DELETE", "/api/collections/posts", "delete as normal user", token=UT)
R.req("GET", "/api/collections?filter=name~'post'&sort=-name", "list filter+sort", token=T)
R.req("GET", "/api/collections?filter=(((", "list bad filter", token=T)
R.req("GET", "/api/collections?fields=id,name&perPage=2", "list fields= param", token=T)

# truncate
requests.post(BASE+"/api/collections/posts_trunc_src/records")
R.req("POST", "/api/collections", "create trunc_demo", token=T, json_body={"name":"trunc_demo","fields":[{"name":"a","type":"text"}],"createRule":""})
for i in range(3): requests.post(BASE+"/api/collections/trunc_demo/records", json={"a":f"x{i}"})
R.req("DELETE", "/api/collections/trunc_demo/truncate", "truncate trunc_demo", token=T)
R.req("GET", "/api/collections/trunc_demo/records", "records after truncate", token=T)
R.req("DELETE", "/api/collections/trunc_demo/truncate", "truncate as user", token=UT)
R.req("DELETE", "/api/collections/posts_view/truncate", "truncate view collection", token=T)
R.req("DELETE", "/api/collections/trunc_demo", "DELETE collection (204)", token=T)
R.req("DELETE", "/api/collections/trunc_demo", "DELETE again -> 404", token=T)

# import
allc = requests.get(BASE+"/api/collections?perPage=200", headers={"Authorization":T}).json()["items"]
imp_new = {"name":"imported","type":"base","fields":[{"name":"x","type":"text"}]}
R.req("PUT", "/api/collections/import", "import success: existing collections + new one, deleteMissing=false", token=T, json_body={"collections": allc + [imp_new], "deleteMissing": False})
R.req("PUT", "/api/collections/import", "import failure: invalid field type", token=T, json_body={"collections":[{"name":"imp_bad","fields":[{"name":"a","type":"weird"}]}], "deleteMissing": False})
R.req("PUT", "/api/collections/import", "import failure: empty collections", token=T, json_body={"collections":[], "deleteMissing": False})
R.req("PUT", "/api/collections/import", "import: modify existing collection (add field to imported) via import", token=T, json_body={"collections":[{"name":"imported","type":"base","fields":[{"name":"x","type":"text"},{"name":"y","type":"number"}]}], "deleteMissing": False})
R.req("GET", "/api/collections/imported", "imported collection after second import (note: id field?)", token=T)
R.req("PUT", "/api/collections/import", "import failure: duplicate collection names in payload", token=T, json_body={"collections":[{"name":"dup1"},{"name":"dup1"}]})
R.req("PUT", "/api/collections/import", "import failure: malformed json", token=T, raw='{"collections": [', headers={"Content-Type":"application/json"})
R.req("PUT", "/api/collections/import", "import as user", token=UT, json_body={"collections":[imp_new]})
R.req("GET", "/api/collections/imported", "imported collection", token=T)

# cleanup extras
for n in ["defaults_demo","sel_demo","only_name","members","imported","posts_stats"]:
    requests.delete(BASE+f"/api/collections/{n}", headers={"Authorization":T})
R.req("PUT", "/api/collections/import", "import deleteMissing=true with only one non-system collection: DESTRUCTIVE, deletes all non-system collections not listed (incl. users!)", token=T, json_body={"collections":[imp_new], "deleteMissing": True})
R.req("GET", "/api/collections?fields=name,system", "collections after deleteMissing import", token=T)
R.save()
