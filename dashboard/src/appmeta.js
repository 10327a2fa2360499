// The settings' meta the whole dashboard uses (app name, accent color, hideControls), read once
// by the shell and updated when the application settings are saved.
import { useEffect, useState } from "preact/hooks";
import { applyAccent } from "./accent.js";

let meta = { appName: "pybase", hideControls: false };
const listeners = new Set();

export function setMeta(patch) {
  meta = { ...meta, ...patch };
  if (patch.accentColor) applyAccent(patch.accentColor);
  listeners.forEach((fn) => fn(meta));
}

export function useMeta() {
  const [value, setValue] = useState(meta);
  useEffect(() => {
    listeners.add(setValue);
    setValue(meta);
    return () => listeners.delete(setValue);
  }, []);
  return value;
}
