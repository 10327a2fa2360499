// The pybase dashboard: a hash-routed single page app talking only to the public REST API
// through the official PocketBase JS SDK.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { applyStoredAccent } from "./accent.js";
import { setMeta, useMeta } from "./appmeta.js";
import { isSignedIn, pb } from "./pb.js";
import { navigate, useRoute } from "./router.js";
import { Icon, Toasts } from "./ui.jsx";
import {
  ConfirmEmailChangePage, ConfirmPasswordResetPage, ConfirmVerificationPage, InstallerPage, LoginPage, OAuth2RedirectPage, RequestPasswordResetPage,
} from "./pages/auth.jsx";
import { CollectionsPage } from "./pages/collections.jsx";
import { LogsPage } from "./pages/logs.jsx";
import { SettingsPage } from "./pages/settings.jsx";
import { SQLPage } from "./pages/sql.jsx";

function Shell({ route, children }) {
  const section = route.path[0] || "collections";
  const appName = useMeta().appName || "pybase";
  useEffect(() => {
    pb.settings.getAll({ fields: "meta.appName,meta.accentColor,meta.hideControls" }).then((s) => s?.meta && setMeta(s.meta), () => {});
  }, []);
  const signOut = () => {
    pb.authStore.clear();
    navigate("login");
  };
  const link = (name, icon, label) => (
    <a href={`#/${name}`} class={`nav-link ${section === name ? "active" : ""}`} aria-current={section === name ? "page" : undefined} title={label}>
      <Icon name={icon} size={20} />
      <span>{label}</span>
    </a>
  );
  return (
    <div class="shell">
      <nav class="app-nav" aria-label="Main">
        <a class="brand" href="#/collections" title={appName}><img src="./favicon.svg" alt="" width="28" height="28" /><span>{appName}</span></a>
        {link("collections", "database", "Collections")}
        {link("logs", "logs", "Logs")}
        {link("sql", "terminal", "SQL")}
        {link("settings", "settings", "Settings")}
        <div class="nav-spacer" />
        <div class="nav-user" title={pb.authStore.record?.email}>{pb.authStore.record?.email}</div>
        <button type="button" class="nav-link btn-reset" onClick={signOut} title="Sign out">
          <Icon name="logout" size={20} />
          <span>Sign out</span>
        </button>
      </nav>
      <main class="app-main">{children}</main>
    </div>
  );
}

function App() {
  const route = useRoute();
  const [, force] = useState(0);
  useEffect(() => pb.authStore.onChange(() => force((n) => n + 1)), []);
  const [first] = route.path;

  if (first === "pbinstall") return <InstallerPage token={route.path[1] || ""} />;
  // public pages: the auth mails' links and the OAuth2 redirect (any auth collection's users)
  if (first === "auth") {
    const [, page, token = ""] = route.path;
    if (page === "confirm-verification") return <ConfirmVerificationPage token={token} />;
    if (page === "confirm-password-reset") return <ConfirmPasswordResetPage token={token} />;
    if (page === "confirm-email-change") return <ConfirmEmailChangePage token={token} />;
    if (page === "oauth2-redirect-success") return <OAuth2RedirectPage success />;
    if (page === "oauth2-redirect-failure") return <OAuth2RedirectPage success={false} />;
  }
  if (first === "request-password-reset" && !isSignedIn()) return <RequestPasswordResetPage />;
  if (!isSignedIn()) {
    if (first !== "login") {
      navigate("login");
      return null;
    }
    return <LoginPage />;
  }
  if (first === "login" || !first) {
    navigate("collections");
    return null;
  }
  let page;
  if (first === "collections") page = <CollectionsPage route={route} />;
  else if (first === "logs") page = <LogsPage route={route} />;
  else if (first === "settings") page = <SettingsPage route={route} />;
  else if (first === "sql") page = <SQLPage />;
  else {
    navigate("collections");
    return null;
  }
  return <Shell route={route}>{page}</Shell>;
}

applyStoredAccent();

// Keep the session fresh: a valid stored token is refreshed once at start (a revoked one signs out).
if (isSignedIn()) {
  pb.collection("_superusers").authRefresh().catch((err) => {
    if (err?.status === 401 || err?.status === 403 || err?.status === 404) pb.authStore.clear();
  });
}

render(
  <>
    <App />
    <Toasts />
  </>,
  document.getElementById("app"),
);
