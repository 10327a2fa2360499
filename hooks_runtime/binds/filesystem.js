// $filesystem: files to attach to records (Python side: pybase/jsvm/binds/filesystem.py).
// A file is a handle ("$t": "f"); its name, originalName and size are read from Python.
(function (g) {
  "use strict";

  const bridge = g.__bridge;
  const call = bridge.call;
  const attrs = (file) => call("filesystem.attrs", file);

  bridge.protos.f = {
    get name() { return attrs(this).name; },
    get originalName() { return attrs(this).originalName; },
    get size() { return attrs(this).size; },
    toJSON() { return attrs(this); },
  };

  g.$filesystem = {
    fileFromBytes: (data, name) => call("filesystem.fileFromBytes", typeof data === "string" ? data : bridge.toBytes(data), name),
    fileFromPath: (path) => call("filesystem.fileFromPath", path),
    fileFromURL: (url, secTimeout) => call("filesystem.fileFromURL", url, secTimeout),
  };
})(globalThis);
