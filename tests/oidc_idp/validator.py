from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    # Every claim below goes into the ID token and userinfo, whatever the scopes.
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {
            "email": user.email,
            "email_verified": True,
            "name": user.get_full_name() or user.username,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
        # The test user's last name says how they authenticated at the provider (RFC 8176).
        if user.last_name:
            claims["amr"] = user.last_name.split(",")
        return claims
