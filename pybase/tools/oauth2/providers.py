"""The providers pybase implements, with PocketBase's endpoints, scopes and user mapping."""

from __future__ import annotations

import time
from typing import Any

import orjson

from pybase.tools.oauth2.base import AuthUser, OAuth2Error, Provider, register, to_bool

#: clock skew allowed on id_token time claims (PocketBase's default, PB_ID_TOKEN_LEEWAY)
ID_TOKEN_LEEWAY = 300


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int_id(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "0"
    return str(int(value))


def id_token_claims(
    token: dict[str, Any], *, audience: str = "", issuers: list[str] | None = None, jwks_url: str = ""
) -> dict[str, Any]:
    """The claims of the token response's ``id_token``: time claims checked (with leeway), the
    audience and issuer when given, the signature only when a JWKS URL is given (as PocketBase)."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise OAuth2Error("empty id_token")
    import jwt  # NOTE: lazily: it loads the cryptography bindings (~14 MB), needed here only

    try:
        if jwks_url:
            key = jwt.PyJWKClient(jwks_url, timeout=30).get_signing_key_from_jwt(id_token).key
            claims = jwt.decode(id_token, key, algorithms=["RS256", "ES256"], options={"verify_aud": False}, leeway=ID_TOKEN_LEEWAY)
        else:
            claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as ex:
        raise OAuth2Error(f"invalid id_token: {ex}") from ex
    now = time.time()
    iat = claims.get("iat")
    if isinstance(iat, int | float) and not isinstance(iat, bool) and iat > now + ID_TOKEN_LEEWAY:
        raise OAuth2Error("id_token used before issued")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and exp < now - ID_TOKEN_LEEWAY:
        raise OAuth2Error("id_token is expired")
    if audience:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if audience not in auds:
            raise OAuth2Error("id_token has a different audience")
    if issuers and claims.get("iss") not in issuers:
        raise OAuth2Error(f"iss must be one of {issuers}")
    return dict(claims)


@register("google")
class Google(Provider):
    """Google (OpenID userinfo; the email only when Google says it is verified)."""

    default_display_name = "Google"
    order = 2
    default_scopes = ("https://www.googleapis.com/auth/userinfo.profile", "https://www.googleapis.com/auth/userinfo.email")
    default_auth_url = "https://accounts.google.com/o/oauth2/v2/auth"
    default_token_url = "https://oauth2.googleapis.com/token"
    default_user_info_url = "https://www.googleapis.com/oauth2/v3/userinfo"

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(id=_str(data, "sub"), name=_str(data, "name"), avatar_url=_str(data, "picture"))
        if data.get("email_verified") is True:
            user.email = _str(data, "email")
        return user


@register("github")
class GitHub(Provider):
    """GitHub (the verified primary address comes from ``/user/emails``)."""

    default_display_name = "GitHub"
    order = 7
    default_scopes = ("read:user", "user:email")
    default_auth_url = "https://github.com/login/oauth/authorize"
    default_token_url = "https://github.com/login/oauth/access_token"
    default_user_info_url = "https://api.github.com/user"

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(
            id=_int_id(data, "id"), name=_str(data, "name"), username=_str(data, "login"),
            avatar_url=_str(data, "avatar_url"),
        )
        raw = self._get(self.user_info_url + "/emails", token, ok_missing=True)
        if raw:
            try:
                emails = orjson.loads(raw)
            except orjson.JSONDecodeError as ex:
                raise OAuth2Error("GitHub emails are not JSON") from ex
            for item in emails if isinstance(emails, list) else []:
                if isinstance(item, dict) and item.get("verified") is True and item.get("primary") is True:
                    user.email = _str(item, "email")
                    break
        return user


@register("gitlab")
class GitLab(Provider):
    """GitLab (the email only once the account is confirmed)."""

    default_display_name = "GitLab"
    order = 8
    default_scopes = ("read_user",)
    default_auth_url = "https://gitlab.com/oauth/authorize"
    default_token_url = "https://gitlab.com/oauth/token"
    default_user_info_url = "https://gitlab.com/api/v4/user"

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(
            id=_int_id(data, "id"), name=_str(data, "name"), username=_str(data, "username"),
            avatar_url=_str(data, "avatar_url"),
        )
        if _str(data, "confirmed_at"):
            user.email = _str(data, "email")
        return user


@register("discord")
class Discord(Provider):
    """Discord (avatar URL built from the avatar hash; the email only when verified)."""

    default_display_name = "Discord"
    order = 12
    default_scopes = ("identify", "email")
    default_auth_url = "https://discord.com/api/oauth2/authorize"
    default_token_url = "https://discord.com/api/oauth2/token"
    default_user_info_url = "https://discord.com/api/users/@me"

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        uid, avatar = _str(data, "id"), _str(data, "avatar")
        name = _str(data, "global_name")
        if not name:
            name = _str(data, "username")
            discriminator = _str(data, "discriminator")
            if discriminator and discriminator != "0":
                name += "#" + discriminator
        user = AuthUser(
            id=uid, name=name, username=_str(data, "username"),
            avatar_url=f"https://cdn.discordapp.com/avatars/{uid}/{avatar}.png" if avatar else "",
        )
        if data.get("verified") is True:
            user.email = _str(data, "email")
        return user


@register("microsoft")
class Microsoft(Provider):
    """Microsoft Entra ID (Graph ``/me``; ``extra.idTokenEmailClaim`` picks an id_token claim)."""

    default_display_name = "Microsoft"
    order = 3
    default_scopes = ("User.Read",)
    default_auth_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    default_token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
    default_user_info_url = "https://graph.microsoft.com/v1.0/me"

    def set_extra(self, extra: dict[str, Any]) -> None:
        self.extra = extra
        if extra.get("idTokenEmailClaim") and "openid" not in self.scopes:
            self.scopes.append("openid")

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(id=_str(data, "id"), name=_str(data, "displayName"))
        mode = self.extra.get("idTokenEmailClaim")
        if not mode:
            user.email = _str(data, "mail")
            return user
        try:
            claims = id_token_claims(token)
        except OAuth2Error:
            claims = {}
        primary = _str(claims, "verified_primary_email")
        edov = _str(claims, "email") if to_bool(claims.get("xms_edov")) else ""
        user.email = {
            "any_verified": primary or edov, "verified_primary_email": primary,
            "email_and_xms_edov": edov, "email": _str(claims, "email"),
        }.get(str(mode), "")
        return user


@register("facebook")
class Facebook(Provider):
    """Facebook (Graph ``/me`` with the large picture)."""

    default_display_name = "Facebook"
    order = 5
    default_scopes = ("email",)
    default_auth_url = "https://www.facebook.com/v3.2/dialog/oauth"
    default_token_url = "https://graph.facebook.com/v3.2/oauth/access_token"
    default_user_info_url = "https://graph.facebook.com/me?fields=name,email,picture.type(large)"

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        picture = data.get("picture") if isinstance(data.get("picture"), dict) else {}
        pic_data = picture.get("data") if isinstance(picture.get("data"), dict) else {}
        return AuthUser(
            id=_str(data, "id"), name=_str(data, "name"), email=_str(data, "email"), avatar_url=_str(pic_data, "url"),
        )


@register("oidc", "oidc2", "oidc3")
class OIDC(Provider):
    """A generic OpenID Connect provider with custom URLs (userinfo, or the id_token without one)."""

    default_display_name = "OIDC"
    order = 99
    default_scopes = ("openid", "email", "profile")

    def fetch_raw_user_info(self, token: dict[str, Any]) -> bytes:
        if self.user_info_url:
            return super().fetch_raw_user_info(token)
        issuers = self.extra.get("issuers")
        claims = id_token_claims(
            token, audience=self.client_id,
            issuers=[str(i) for i in issuers] if isinstance(issuers, list) else None,
            jwks_url=str(self.extra.get("jwksURL") or ""),
        )
        return orjson.dumps(claims)

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(
            id=_str(data, "sub"), name=_str(data, "name"), username=_str(data, "preferred_username"),
            avatar_url=_str(data, "picture"),
        )
        if to_bool(data.get("email_verified")):
            user.email = _str(data, "email")
        return user


@register("apple")
class Apple(Provider):
    """Sign in with Apple (the user is the verified id_token; the name arrives with the redirect)."""

    default_display_name = "Apple"
    order = 1
    default_scopes = ("name", "email")
    default_auth_url = "https://appleid.apple.com/auth/authorize"
    default_token_url = "https://appleid.apple.com/auth/token"
    auth_url_params = {"response_mode": "form_post"}
    jwks_url = "https://appleid.apple.com/auth/keys"

    def fetch_raw_user_info(self, token: dict[str, Any]) -> bytes:
        claims = id_token_claims(token, audience=self.client_id, issuers=["https://appleid.apple.com"], jwks_url=self.jwks_url)
        return orjson.dumps(claims)

    def map_user(self, data: dict[str, Any], token: dict[str, Any]) -> AuthUser:
        user = AuthUser(id=_str(data, "sub"), name=_str(data, "name"))
        if to_bool(data.get("email_verified")):
            user.email = _str(data, "email")
        return user
