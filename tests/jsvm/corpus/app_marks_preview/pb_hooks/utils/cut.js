// Modelled on pb/pb_hooks/utils/cut.js of github.com/rizkia-as-actmp/kuliah_5_justdoit
// (rewritten): split a text into a preview of some words and the rest.
module.exports = {
  cutPreview(text, words, maxChars) {
    const parts = String(text || "").split(/\s+/).filter((w) => w.length > 0);
    let preview = parts.slice(0, words).join(" ");
    if (preview.length > maxChars) preview = preview.slice(0, maxChars);
    const remaining = String(text || "").slice(preview.length);
    return { preview: preview, remaining: remaining };
  },
  toFullContent(preview, remaining) {
    return preview + remaining;
  },
};
