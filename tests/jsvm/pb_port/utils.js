module.exports = {
    slugify: (text) => String(text).toLowerCase().trim().replace(/[^a-z0-9]+/g, "-"),
    summary: (record) => ({ "id": record.id, "title": record.getString("title"), "views": record.getInt("views") }),
}
