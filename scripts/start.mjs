// `npm start` runs the daemon in the foreground once tshd exists (the daemon issue). Until then
// it says so plainly instead of pretending.
console.error(
  'tshd, the daemon, is not in this release yet: `npm start` will run it on 127.0.0.1:2222.\n' +
    'Available now: tsh-keygen (node dist/bin/tsh-keygen.js --help).',
);
process.exit(1);
