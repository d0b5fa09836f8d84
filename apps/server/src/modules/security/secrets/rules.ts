/**
 * The built-in secret rules, versioned as a set: bump RULESET_VERSION whenever a rule is added,
 * removed or its pattern changes, so that reports and SARIF runs say which rules produced them.
 *
 * A rule is applied to one line (plus `followingLines` more, for secrets that span lines):
 *  1. keyword pre-filter: the rule runs only when the lower-cased line contains one of `keywords`;
 *  2. `regex` finds candidates; `secretGroup` is the capture group holding the secret itself
 *     (0 = the whole match);
 *  3. the secret must reach `entropy` bits per character (Shannon) and pass the placeholder
 *     allowlist (EXAMPLE, xxxx, ${VAR}, <your-key>, ...) and the rule's own `allow` patterns.
 * Rules are listed from most to least specific: when two rules find overlapping secrets on one
 * line, the earlier rule wins (so `generic-secret-assignment` only reports what nothing else named).
 */
export const RULESET_VERSION = '2026.11.1';

export interface SecretRule {
  /** Stable kebab-case id, used in reports, SARIF ruleId, fingerprints and config files. */
  id: string;
  description: string;
  /** Matched against the line; the scanner adds the `g` flag. */
  regex: RegExp;
  /** Lower-case substrings; the line must contain at least one for the regex to run. */
  keywords: string[];
  /** Minimum Shannon entropy (bits per character) of the secret; 0 disables the check. */
  entropy: number;
  /** Capture group that holds the secret (0 = whole match). */
  secretGroup: number;
  /** Extra lines joined (with '\n') after the line, for secrets whose body starts on the next line. */
  followingLines?: number;
  /** Secrets matching any of these are not reported (rule-specific placeholders). */
  allow?: RegExp[];
  /** Generic rules also skip values that look like code, paths or plain words. */
  generic?: boolean;
}

const ASSIGN = String.raw`["']?\s*(?::=|=>|=|:)\s*["'\x60]?`;

export const BUILTIN_RULES: readonly SecretRule[] = [
  {
    id: 'private-key',
    description: 'Private key (PEM: RSA, EC, DSA, OpenSSH, PGP, PKCS#8)',
    regex:
      /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)*(?:[A-Za-z-]+: [^\n]*\n\s*)*([A-Za-z0-9+/=]{32,})/,
    keywords: ['private key'],
    entropy: 3.5,
    secretGroup: 1,
    followingLines: 2,
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id',
    regex: /\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Za-z0-9])/,
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    entropy: 3.0,
    secretGroup: 1,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    regex: new RegExp(
      `(?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key${ASSIGN}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'i',
    ),
    keywords: [
      'secretaccesskey',
      'secret_access_key',
      'secret-access-key',
      'aws_secret',
      'awssecret',
      'secret_key',
    ],
    entropy: 4.0,
    secretGroup: 1,
  },
  {
    id: 'gcp-service-account-key',
    description: 'Google Cloud service-account key (private_key_id of a key file)',
    regex: /"private_key_id"\s*:\s*"([a-f0-9]{40})"/,
    keywords: ['private_key_id'],
    entropy: 3.0,
    secretGroup: 1,
  },
  {
    id: 'gcp-api-key',
    description: 'Google Cloud API key',
    regex: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/,
    keywords: ['aiza'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'azure-storage-account-key',
    description: 'Azure storage account key (connection string AccountKey or an azure*key setting)',
    regex: new RegExp(
      String.raw`(?:AccountKey=|azure[\w.-]{0,30}key${ASSIGN})([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])`,
      'i',
    ),
    keywords: ['accountkey', 'azure'],
    entropy: 4.0,
    secretGroup: 1,
  },
  {
    id: 'github-pat',
    description: 'GitHub personal access token (classic, ghp_)',
    regex: /\b(ghp_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    keywords: ['ghp_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token (github_pat_)',
    regex: /\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])/,
    keywords: ['github_pat_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'github-oauth-token',
    description: 'GitHub OAuth access token (gho_)',
    regex: /\b(gho_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    keywords: ['gho_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'github-app-token',
    description: 'GitHub App user-to-server or server-to-server token (ghu_, ghs_)',
    regex: /\b(gh[us]_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    keywords: ['ghu_', 'ghs_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'github-refresh-token',
    description: 'GitHub refresh token (ghr_)',
    regex: /\b(ghr_[A-Za-z0-9]{36,76})(?![A-Za-z0-9])/,
    keywords: ['ghr_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'gitlab-pat',
    description: 'GitLab personal, project or group access token (glpat-)',
    regex: /\b(glpat-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/,
    keywords: ['glpat-'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'slack-token',
    description: 'Slack bot, user, app, refresh or legacy token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-)',
    regex: /\b(xox[baprs]-[0-9]{8,}-[0-9A-Za-z-]{16,})(?![0-9A-Za-z-])/,
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'slack-webhook-url',
    description: 'Slack incoming webhook URL',
    regex:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9]{8,}\/[A-Za-z0-9]{8,}\/[A-Za-z0-9]{16,})/,
    keywords: ['hooks.slack.com'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'stripe-secret-key',
    description: 'Stripe live secret key (sk_live_)',
    regex: /\b(sk_live_[0-9A-Za-z]{24,99})(?![0-9A-Za-z])/,
    keywords: ['sk_live_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'stripe-restricted-key',
    description: 'Stripe live restricted key (rk_live_)',
    regex: /\b(rk_live_[0-9A-Za-z]{24,99})(?![0-9A-Za-z])/,
    keywords: ['rk_live_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'npm-access-token',
    description: 'npm access token (npm_)',
    regex: /\b(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    keywords: ['npm_'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'npmrc-auth-token',
    description: 'Registry auth token in an .npmrc (_authToken=)',
    regex: /_authToken\s*=\s*["']?([A-Za-z0-9_-]{30,})(?![A-Za-z0-9_-])/,
    keywords: ['_authtoken'],
    entropy: 3.0,
    secretGroup: 1,
  },
  {
    id: 'sendgrid-api-key',
    description: 'SendGrid API key (SG.)',
    regex: /\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/,
    keywords: ['sg.'],
    entropy: 3.5,
    secretGroup: 1,
  },
  {
    id: 'twilio-api-key',
    description: 'Twilio API key (SK + 32 hex)',
    regex: /\b(SK[0-9a-fA-F]{32})(?![0-9A-Za-z])/,
    keywords: ['sk'],
    entropy: 3.0,
    secretGroup: 1,
  },
  {
    id: 'twilio-auth-token',
    description: 'Twilio auth token in a twilio*token setting',
    regex: new RegExp(String.raw`twilio[\w.-]{0,20}token${ASSIGN}([0-9a-f]{32})(?![0-9A-Za-z])`, 'i'),
    keywords: ['twilio'],
    entropy: 3.0,
    secretGroup: 1,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token (signed)',
    regex: /\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})(?![A-Za-z0-9_-])/,
    keywords: ['eyj'],
    entropy: 3.0,
    secretGroup: 1,
    // The signature of the well-known jwt.io example token.
    allow: [/SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c$/],
  },
  {
    id: 'database-url-password',
    description:
      'Database or broker URL with an inline password (postgres, mysql, mongodb, redis, amqp, mssql)',
    regex:
      /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver):\/\/[^\s:@/'"`]*:([^\s:@/'"`]+)@[^\s'"`]+/i,
    keywords: ['postgres', 'mysql', 'mariadb', 'mongodb', 'redis', 'amqp', 'mssql', 'sqlserver'],
    entropy: 2.0,
    secretGroup: 1,
    allow: [
      /^(?:pass(?:word)?|passwd|pwd|secret|changeme|example|test|postgres|root|admin|user|guest|mysql)$/i,
    ],
  },
  {
    id: 'generic-secret-assignment',
    description:
      'High-entropy value assigned to a password, secret, token, api_key, client_secret or private_key setting',
    regex:
      /(?:^|[^A-Za-z0-9])[A-Za-z0-9_.-]{0,40}?(?:password|passwd|passphrase|pwd|secret|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?token|access[_.-]?token|token|client[_.-]?secret|private[_.-]?key|credentials?)[A-Za-z0-9_.-]{0,40}["']?\s*(?::=|=>|=|:)\s*(["'\x60]?)([^\s"'\x60;,]{12,256})\1(?![^\s"'\x60;,])/i,
    keywords: ['pass', 'pwd', 'secret', 'key', 'token', 'credential'],
    entropy: 3.5,
    secretGroup: 2,
    generic: true,
  },
];
