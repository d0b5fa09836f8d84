/**
 * A labelled corpus for measuring secret rules, generated when asked (nothing secret is stored in
 * the repository): positives are keys of each provider with the real shape and random bodies;
 * negatives are look-alikes a scanner must not report (placeholders, documented example keys,
 * hashes, UUIDs, base64 images, public keys, code that reads secrets from the environment).
 * A seeded generator keeps runs reproducible; pass another seed to try other bodies.
 */

export interface CorpusSample {
  /** A file name (the extension gives tools a hint of the format). */
  file: string;
  content: string;
  /** Rule ids that must report this sample (empty for negatives). */
  expect: string[];
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = UPPER + LOWER + DIGITS;
const HEX = '0123456789abcdef';
const BASE32 = `${UPPER}234567`;
const BASE64 = `${ALNUM}+/`;
const BASE64URL = `${ALNUM}-_`;

/** mulberry32: a small seeded PRNG (not for cryptography; bodies only need the right shape). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEFAULT_CORPUS_SEED = 20261128;

export function buildCorpus(seed = DEFAULT_CORPUS_SEED): CorpusSample[] {
  const random = seededRandom(seed);
  const pick = (alphabet: string, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i += 1) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  /** Random text that mixes letters and digits, as password and key generators produce. */
  const mixed = (alphabet: string, length: number): string =>
    `${pick(alphabet, length - 2)}${pick(DIGITS, 1)}${pick(LOWER, 1)}`;
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** A DER SEQUENCE (0x30 0x82 length) or an openssh-key-v1 blob with random content, as base64 lines. */
  const pemBody = (label: string, bytes: number) => {
    const content = Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
    const prefix = label.startsWith('OPENSSH')
      ? Buffer.from('openssh-key-v1\0', 'latin1')
      : Buffer.from([0x30, 0x82, (bytes >> 8) & 0xff, bytes & 0xff]);
    const body = Buffer.concat([prefix, content]).toString('base64');
    return body.match(/.{1,64}/g)?.join('\n') ?? body;
  };
  const pem = (label: string, bytes: number) =>
    `-----BEGIN ${label}-----\n${pemBody(label, bytes)}\n-----END ${label}-----\n`;
  const jwt = () =>
    `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: pick(DIGITS, 8), name: 'Ada', iat: 1764300000 + Math.floor(random() * 1e6) })}.${pick(BASE64URL, 43)}`;

  const positives: CorpusSample[] = [
    {
      file: 'aws.env',
      content: `AWS_ACCESS_KEY_ID=AKIA${pick(BASE32, 16)}\n`,
      expect: ['aws-access-key-id'],
    },
    {
      file: 'sts.json',
      content: `{"Credentials": {"AccessKeyId": "ASIA${pick(BASE32, 16)}", "Expiration": "2026-12-01T00:00:00Z"}}\n`,
      expect: ['aws-access-key-id'],
    },
    {
      file: 'credentials',
      content: `[default]\naws_secret_access_key = ${mixed(BASE64, 40)}\nregion = eu-west-1\n`,
      expect: ['aws-secret-access-key'],
    },
    {
      file: 'deploy.ts',
      content: `const client = new S3Client({ credentials: { secretAccessKey: '${mixed(BASE64, 40)}' } });\n`,
      expect: ['aws-secret-access-key'],
    },
    {
      file: 'service-account.json',
      content: `${JSON.stringify(
        {
          type: 'service_account',
          project_id: 'acme-prod',
          private_key_id: pick(HEX, 40),
          private_key: pem('PRIVATE KEY', 600),
          client_email: 'deployer@acme-prod.iam.gserviceaccount.com',
        },
        null,
        2,
      )}\n`,
      expect: ['gcp-service-account-key', 'private-key'],
    },
    {
      file: 'maps.js',
      content: `const MAPS_KEY = "AIza${pick(`${ALNUM}_-`, 35)}";\n`,
      expect: ['gcp-api-key'],
    },
    {
      file: 'appsettings.json',
      content: `{"Storage": "DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${pick(BASE64, 86)}==;EndpointSuffix=core.windows.net"}\n`,
      expect: ['azure-storage-account-key'],
    },
    {
      file: 'azure.tfvars',
      content: `azure_storage_key = "${pick(BASE64, 86)}=="\n`,
      expect: ['azure-storage-account-key'],
    },
    { file: 'gh.sh', content: `export GITHUB_TOKEN=ghp_${pick(ALNUM, 36)}\n`, expect: ['github-pat'] },
    {
      file: 'gh-fine.yml',
      content: `token: github_pat_${pick(ALNUM, 22)}_${pick(ALNUM, 59)}\n`,
      expect: ['github-fine-grained-pat'],
    },
    { file: 'oauth.py', content: `ACCESS = "gho_${pick(ALNUM, 36)}"\n`, expect: ['github-oauth-token'] },
    { file: 'app-user.rb', content: `token = 'ghu_${pick(ALNUM, 36)}'\n`, expect: ['github-app-token'] },
    {
      file: 'app-install.go',
      content: `var installToken = "ghs_${pick(ALNUM, 36)}"\n`,
      expect: ['github-app-token'],
    },
    { file: 'refresh.txt', content: `refresh: ghr_${pick(ALNUM, 76)}\n`, expect: ['github-refresh-token'] },
    { file: 'gitlab.env', content: `GITLAB_TOKEN=glpat-${pick(`${ALNUM}_-`, 20)}\n`, expect: ['gitlab-pat'] },
    {
      file: 'slack-bot.js',
      content: `const slack = new WebClient('xoxb-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${pick(ALNUM, 24)}');\n`,
      expect: ['slack-token'],
    },
    {
      file: 'slack-user.env',
      content: `SLACK_USER_TOKEN=xoxp-${pick(DIGITS, 12)}-${pick(DIGITS, 12)}-${pick(DIGITS, 13)}-${pick(HEX, 32)}\n`,
      expect: ['slack-token'],
    },
    {
      file: 'alerts.yaml',
      content: `slack_url: https://hooks.slack.com/services/T${pick(UPPER + DIGITS, 8)}/B${pick(UPPER + DIGITS, 10)}/${pick(ALNUM, 24)}\n`,
      expect: ['slack-webhook-url'],
    },
    {
      file: 'billing.env',
      content: `STRIPE_KEY=sk_live_${pick(ALNUM, 24)}\n`,
      expect: ['stripe-secret-key'],
    },
    {
      file: 'billing.ts',
      content: `stripe('rk_live_${pick(ALNUM, 99)}');\n`,
      expect: ['stripe-restricted-key'],
    },
    { file: 'id_rsa', content: pem('RSA PRIVATE KEY', 1190), expect: ['private-key'] },
    { file: 'id_ed25519', content: pem('OPENSSH PRIVATE KEY', 300), expect: ['private-key'] },
    { file: 'ec.pem', content: pem('EC PRIVATE KEY', 120), expect: ['private-key'] },
    { file: 'session.http', content: `Authorization: Bearer ${jwt()}\n`, expect: ['jwt'] },
    {
      file: 'db.env',
      content: `DATABASE_URL=postgres://app:${mixed(ALNUM, 18)}@db.internal:5432/app\n`,
      expect: ['database-url-password'],
    },
    {
      file: 'mysql.yml',
      content: `url: "mysql://root:${mixed(`${ALNUM}!#`, 14)}@10.0.0.5:3306/shop"\n`,
      expect: ['database-url-password'],
    },
    {
      file: 'mongo.ts',
      content: `mongoose.connect('mongodb+srv://svc:${mixed(ALNUM, 16)}@cluster0.ab1cd.mongodb.net/prod');\n`,
      expect: ['database-url-password'],
    },
    { file: 'publish.sh', content: `NPM_TOKEN=npm_${pick(ALNUM, 36)}\n`, expect: ['npm-access-token'] },
    {
      file: '.npmrc',
      content: `//packages.internal.test/:_authToken=${pick(HEX, 8)}-${pick(HEX, 4)}-${pick(HEX, 4)}-${pick(HEX, 4)}-${pick(HEX, 12)}\n`,
      expect: ['npmrc-auth-token'],
    },
    {
      file: 'mail.py',
      content: `sg = SendGridAPIClient("SG.${pick(BASE64URL, 22)}.${pick(BASE64URL, 43)}")\n`,
      expect: ['sendgrid-api-key'],
    },
    { file: 'sms.env', content: `TWILIO_API_KEY=SK${pick(HEX, 32)}\n`, expect: ['twilio-api-key'] },
    { file: 'sms.yml', content: `twilio_auth_token: ${pick(HEX, 32)}\n`, expect: ['twilio-auth-token'] },
    {
      file: 'settings.py',
      content: `DEBUG = False\nDB_PASSWORD = "${mixed(`${ALNUM}!@#%^&*`, 20)}"\n`,
      expect: ['generic-secret-assignment'],
    },
    {
      file: 'config.yml',
      content: `service:\n  api_key: ${mixed(ALNUM, 32)}\n`,
      expect: ['generic-secret-assignment'],
    },
    {
      file: 'oauth.ts',
      content: `export const clientSecret = '${mixed(`${ALNUM}-_`, 40)}';\n`,
      expect: ['generic-secret-assignment'],
    },
    {
      file: 'secrets.env',
      content: `SECRET_KEY_BASE=${pick(HEX, 128)}\n`,
      expect: ['generic-secret-assignment'],
    },
  ];

  const uuid = () => `${pick(HEX, 8)}-${pick(HEX, 4)}-4${pick(HEX, 3)}-a${pick(HEX, 3)}-${pick(HEX, 12)}`;
  const negatives: CorpusSample[] = [
    {
      file: 'aws-docs.md',
      content:
        '```\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n',
      expect: [],
    },
    {
      file: 'ci.yml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder
      content: 'env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n  NPM_TOKEN: ${NPM_TOKEN}\n',
      expect: [],
    },
    {
      file: 'readme-token.md',
      content: 'export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n',
      expect: [],
    },
    { file: 'readme-glpat.md', content: 'GITLAB_TOKEN=glpat-<your-token-here>\n', expect: [] },
    {
      file: 'readme-slack.md',
      content: 'webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n',
      expect: [],
    },
    { file: 'stripe-docs.md', content: 'Use sk_live_... in production and sk_test_... in CI.\n', expect: [] },
    {
      file: 'db-example.env',
      content: 'DATABASE_URL=postgres://user:password@localhost:5432/app\n',
      expect: [],
    },
    {
      file: 'db-vars.env',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder
      content: 'DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app\n',
      expect: [],
    },
    {
      file: 'db-nopass.env',
      content: 'DATABASE_URL=postgres://localhost:5432/app\nREDIS_URL=redis://cache:6379/0\n',
      expect: [],
    },
    {
      file: 'db-test.env',
      content: 'TEST_DB=postgres://postgres:postgres@127.0.0.1:5432/engops_test\n',
      expect: [],
    },
    {
      file: 'package-lock.json',
      content: `{"node_modules/left-pad": {"version": "1.3.0", "integrity": "sha512-${pick(BASE64, 86)}=="}}\n`,
      expect: [],
    },
    { file: 'SHA256SUMS', content: `${pick(HEX, 64)}  engops-linux-x64.tar.gz\n`, expect: [] },
    {
      file: 'changelog.md',
      content: `Fixed in commit ${pick(HEX, 40)} (checksum md5 ${pick(HEX, 32)}).\n`,
      expect: [],
    },
    {
      file: 'ids.json',
      content: `{"id": "${uuid()}", "request_id": "${uuid()}", "api_key_id": "${uuid()}", "token_id": "${uuid()}"}\n`,
      expect: [],
    },
    {
      file: 'logo.css',
      content: `.logo { background: url("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA${pick(BASE64, 2000)}"); }\n`,
      expect: [],
    },
    {
      file: 'avatar.html',
      content: `<img alt="avatar" src="data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ${pick(BASE64, 1200)}">\n`,
      expect: [],
    },
    {
      file: 'jwt-docs.md',
      content:
        'Example: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n',
      expect: [],
    },
    { file: 'public.pem', content: pem('PUBLIC KEY', 294), expect: [] },
    { file: 'cert.pem', content: pem('CERTIFICATE', 900), expect: [] },
    {
      file: 'pem-check.ts',
      content:
        "if (pem.startsWith('-----BEGIN RSA PRIVATE KEY-----')) throw new Error('PKCS#1 keys are not supported');\n",
      expect: [],
    },
    {
      file: 'pem-docs.md',
      content: '```\n-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n```\n',
      expect: [],
    },
    {
      file: 'config.ts',
      content: [
        'const password = process.env.DB_PASSWORD;',
        'const apiKey = config.apiKey;',
        'interface Login { password: string; secretToken?: string }',
        "secret = os.environ['APP_SECRET']",
        'const token = await getAccessToken(clientId, clientSecret);',
        "export const SECRET_HEADER = 'x-engops-webhook-signature';",
        "const tokenUrl = 'https://login.acme.test/oauth2/v2.0/token';",
        "secret_name: 'prod/db/password-rotation'",
        "password: 'changeme'",
        'DB_PASSWORD="password123"',
        'api_key = "<your api key>"',
        "stripe_secret: 'sk_test_placeholder'",
        '',
      ].join('\n'),
      expect: [],
    },
    {
      file: 'twilio.env',
      content: `TWILIO_ACCOUNT_SID=AC${pick(HEX, 32)}\nTWILIO_AUTH_TOKEN=\${TWILIO_AUTH_TOKEN}\n`,
      expect: [],
    },
    { file: 'random.txt', content: `build ${uuid()} finished; artifact ${pick(HEX, 64)}\n`, expect: [] },
  ];
  return [...positives, ...negatives];
}
