// A real OpenID provider for the single sign-on tests: oidc-provider on a
// loopback port, one confidential client (redirect URIs comma-separated in
// OIDC_REDIRECT_URI) and the accounts given in
// OIDC_ACCOUNTS (JSON: {"login": {"groups": [...], "name": "..."}}).
// Logins go through oidc-provider's own development interactions (any
// password), which is what a test needs and nothing a deployment uses.
// Prints "ready <issuer>" once listening.
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: process.env.OIDC_REDIRECT_URI.split(","),
    response_types: ["code"],
    grant_types: ["authorization_code"],
  }],
  jwks: { keys: [jwk] },
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], groups: ["groups"] },
  scopes: ["openid", "profile", "groups"],
  // the ID token carries the scopes' claims (the client reads no userinfo)
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(_ctx, id) {
    const known = accounts[id];
    if (!known) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: known.name || id, groups: known.groups || [] };
      },
    };
  },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => console.log(`ready ${issuer}`));
