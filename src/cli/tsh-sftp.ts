import { laterTool } from './later.js';

export const main = laterTool(
  'tsh-sftp',
  `usage: tsh-sftp [-46AaCfNpqrv] [-B buffer_size] [-b batchfile] [-c cipher]
          [-D sftp_server_command] [-F ssh_config] [-i identity_file]
          [-J destination] [-l limit] [-o ssh_option] [-P port]
          [-R num_requests] [-S program] [-s subsystem | sftp_server]
          destination`,
  'the sftp client is not available in this release yet',
);
