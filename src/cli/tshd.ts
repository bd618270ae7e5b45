import { laterTool } from './later.js';

export const main = laterTool(
  'tshd',
  `usage: tshd [-46DdeGiqTtV] [-C connection_spec] [-c host_cert_file]
            [-E log_file] [-f config_file] [-g login_grace_time]
            [-h host_key_file] [-o option] [-p port] [-u len]`,
  'the ssh daemon is not available in this release yet',
);
