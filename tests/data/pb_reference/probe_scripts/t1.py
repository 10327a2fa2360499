from probe import *
R = Recorder("system_collections.json")
T = su_token()
r = R.req("GET", "/api/collections?perPage=100", "list all collections as superuser", token=T)
R.req("GET", "/api/collections", "list default paging as superuser", token=T)
for n in ["_superusers","users","_externalAuths","_mfas","_otps","_authOrigins"]:
    R.req("GET", f"/api/collections/{n}", f"view {n}", token=T)
R.req("GET", "/api/collections/meta/scaffolds", "scaffolds", token=T)
R.save()
