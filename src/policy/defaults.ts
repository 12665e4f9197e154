// The policy used when no .aflock file is found: safe defaults that stop the classic accidents and leaks without
// getting in the way of ordinary development. Its deny rules on Bash also switch on the strict analysis, so pipes
// into a shell, decoded payloads and inline interpreter code are refused.
export const DEFAULT_POLICY_TEXT = `{
  "version": "1",
  "name": "aflock-default",
  "tools": {
    "deny": [
      "Bash:rm -rf /",
      "Bash:rm -rf /*",
      "Bash:rm -rf ~",
      "Bash:rm -rf ~/*",
      "Bash:rm -rf $HOME*",
      "Bash:rm -rf .",
      "Bash:mkfs*",
      "Bash:dd * of=/dev/*",
      "Bash:chmod -R 777 /*",
      "Bash:git push --force*",
      "Bash:git push -f*"
    ]
  },
  "files": {
    "deny": [
      "**/.env",
      "**/.env.*",
      "**/*.pem",
      "**/*.key",
      "**/id_rsa*",
      "**/id_ed25519*",
      "**/id_ecdsa*",
      "**/.ssh/**",
      "**/.aws/credentials",
      "**/.netrc",
      "**/.npmrc"
    ]
  }
}
`;

/**
 * The policy used when the working directory cannot even be searched (Deno without --allow-read): a .aflock may be
 * there, so running on the default beside it would widen it. Every tool is denied until the server can read.
 */
export const LOCKED_POLICY_TEXT = `{
  "version": "1",
  "name": "aflock-locked",
  "tools": { "deny": ["*"] }
}
`;
