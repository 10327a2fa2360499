/// <reference path="../pb_data/types.d.ts" />

// A typical PocketBase hooks file, as found in the wild: a custom route, record hooks, a cron
// job and an outbound webhook with $http.send. It runs unchanged on PocketBase 0.40.

routerAdd("GET", "/api/myapp/hello/{name}", (e) => {
    let name = e.request.pathValue("name")

    return e.json(200, { "message": "Hello " + name })
})

routerAdd("GET", "/api/myapp/stats", (e) => {
    const utils = require(`${__hooks}/utils.js`)

    const published = $app.countRecords("posts", $dbx.hashExp({ "published": true }))
    const records = $app.findRecordsByFilter("posts", "views >= {:min}", "-views", 10, 0, { "min": 1 })

    return e.json(200, {
        "published": published,
        "top": records.map((r) => utils.summary(r)),
        "user": e.auth ? e.auth.email() : null,
    })
}, $apis.requireAuth())

// fill in a default status and a slug before the record is validated
onRecordCreateRequest((e) => {
    const utils = require(`${__hooks}/utils.js`)

    if (!e.record.getString("status")) {
        e.record.set("status", "draft")
    }
    e.record.set("body", utils.slugify(e.record.getString("title")))

    e.next()
}, "posts")

// notify an external service after the post was saved
onRecordAfterCreateSuccess((e) => {
    const url = $os.getenv("MYAPP_WEBHOOK_URL")
    if (url) {
        const res = $http.send({
            url:     url + "/echo",
            method:  "POST",
            body:    JSON.stringify({ "event": "post_created", "id": e.record.id, "title": e.record.get("title") }),
            headers: { "content-type": "application/json" },
            timeout: 5, // in seconds
        })
        if (res.statusCode != 201) {
            e.app.logger().error("webhook failed", "status", res.statusCode)
        }
    }

    e.next()
}, "posts")

// reject deleting published posts
onRecordDeleteRequest((e) => {
    if (e.record.getBool("published")) {
        throw new BadRequestError("Published posts can't be deleted.")
    }
    e.next()
}, "posts")

// send a daily digest
cronAdd("digest", "0 8 * * *", () => {
    const url = $os.getenv("MYAPP_WEBHOOK_URL")
    const total = $app.countRecords("posts")

    $http.send({
        url:     url + "/echo",
        method:  "POST",
        body:    JSON.stringify({ "event": "digest", "total": total }),
        headers: { "content-type": "application/json" },
    })
})
