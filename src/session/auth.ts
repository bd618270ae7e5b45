/**
 * Client authentication, sequenced as OpenSSH's sshconnect2.c does: "none" first to learn the
 * server's methods, then the first method of PreferredAuthentications that the server allows and
 * that still has tries left, again after every failure; the server's list after a partial success
 * starts the search over. Public keys are offered one at a time from a KeyRing (see identities.ts);
 * password and keyboard-interactive get NumberOfPasswordPrompts tries each; BatchMode turns both
 * off. gssapi-with-mic and hostbased are not implemented and are skipped.
 */
import type { AnyAuthMethod, AuthHandlerMiddleware, KeyboardInteractiveCallback, Prompt } from 'ssh2';
import type { ResolvedClientConfig } from '../config/index.js';
import { formatIdentity, type Identity, type KeyRing } from './identities.js';
import type { Logger } from './log.js';

const DEFAULT_PREFERRED = 'gssapi-with-mic,hostbased,publickey,keyboard-interactive,password';

export interface AuthOptions {
  readonly cfg: ResolvedClientConfig;
  /** The user on the server. */
  readonly user: string;
  /** The host as ssh names it in prompts and errors (HostName, lowercased). */
  readonly host: string;
  readonly keyRing: KeyRing;
  /** Host key accepted only with StrictHostKeyChecking=no after a change: no password or kbd-int. */
  readonly unsafe: () => boolean;
  readonly log: Logger;
  /** A terminal prompt: echo on or off; undefined without a terminal, null at EOF. */
  readonly ask: (prompt: string, echo: boolean) => Promise<string | null | undefined>;
}

export interface AuthState {
  /** The server's last list of methods that can continue ("publickey,password"). */
  lastMethods: string[];
  /** The method being tried, or that succeeded. */
  current: string | null;
}

/** The authHandler for ssh2's Client, and the state the caller reads when authentication fails. */
export function makeAuthHandler(opts: AuthOptions): { handler: AuthHandlerMiddleware; state: AuthState } {
  const { cfg, log, user, keyRing } = opts;
  const state: AuthState = { lastMethods: [], current: null };
  const preferred = (cfg.preferredAuthentications ?? DEFAULT_PREFERRED).split(',').filter((m) => m !== '');
  // Prompts name the host as ssh does: HostKeyAlias if set (userauth_passwd, input_userauth_info_req).
  const promptHost = cfg.hostKeyAlias ?? opts.host;
  const tries = new Map<string, number>();
  let sentNone = false;
  // Public keys: the next one to offer in this round, and those the server took a signature from.
  let nextKey = 0;
  const usedKeys = new Set<Identity>();
  let lastOffered: Identity | null = null;
  let refreshing = false;
  // keyboard-interactive is dropped after one request that got no prompts (userauth_kbdint).
  let infoRequestSeen = false;

  const pendingKey = (): number => {
    for (let i = nextKey; i < keyRing.identities.length; i++) if (!usedKeys.has(keyRing.identities[i]!)) return i;
    return -1;
  };

  const usable = (method: string): boolean => {
    const n = tries.get(method) ?? 0;
    switch (method) {
      case 'publickey':
        return cfg.pubkeyAuthentication !== 'false' && pendingKey() >= 0;
      case 'keyboard-interactive':
        return cfg.kbdInteractiveAuthentication && !cfg.batchMode && !opts.unsafe() && n < cfg.numberOfPasswordPrompts && (n === 0 || infoRequestSeen);
      case 'password':
        return cfg.passwordAuthentication && !cfg.batchMode && !opts.unsafe() && n < cfg.numberOfPasswordPrompts;
      default:
        return false;
    }
  };

  const kbdPrompt = (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: KeyboardInteractiveCallback): void => {
    infoRequestSeen = true;
    void (async () => {
      if (name) log.info(name);
      if (instructions) log.info(instructions);
      const answers: string[] = [];
      for (const p of prompts) {
        const a = await opts.ask(`(${user}@${promptHost}) ${p.prompt}`, p.echo ?? false);
        answers.push(a ?? '');
      }
      finish(answers);
    })().catch(() => finish([]));
  };

  // ssh2 passes null before the first failure and accepts `false` for "no more methods"; its
  // typings say neither.
  type Next = (auth: AnyAuthMethod | false) => void;
  const middleware = (methodsLeft: string[] | null, partialSuccess: boolean | null, next: Next): void => {
    if (!sentNone) {
      sentNone = true;
      state.current = 'none';
      next({ type: 'none', username: user });
      return;
    }
    // After a public key attempt ssh2 passes the list and flag of an earlier reply again.
    const afterKey = state.current === 'publickey';
    let left = afterKey ? state.lastMethods : (methodsLeft ?? []);
    let partial = !afterKey && partialSuccess === true;
    let partialMethod = state.current;
    if (afterKey && keyRing.takeSigned()) {
      // The server took the key's signature and still wants more: a partial success
      // (AuthenticationMethods). Ask with "none" for the list of what can continue now.
      if (lastOffered) usedKeys.add(lastOffered);
      refreshing = true;
      state.current = 'none';
      next({ type: 'none', username: user });
      return;
    }
    if (refreshing) {
      refreshing = false;
      partial = true;
      partialMethod = 'publickey';
      left = methodsLeft ?? [];
    }
    if (partial) {
      log.verbose(`Authenticated using "${partialMethod}" with partial success.`);
      nextKey = 0;
    }
    // An identity file that could not be loaded sent nothing, so no reply came.
    const sentKey = !afterKey || lastOffered === null || keyRing.hasPublicKey(lastOffered);
    if (sentKey) log.debug1(`Authentications that can continue: ${left.join(',')}`);
    state.lastMethods = left;
    const method = preferred.find((m) => left.includes(m) && usable(m));
    if (method === undefined) {
      log.debug1('No more authentication methods to try.');
      next(false);
      return;
    }
    const attempt = (tries.get(method) ?? 0) + 1;
    tries.set(method, attempt);
    if (state.current !== method) log.debug1(`Next authentication method: ${method}`);
    state.current = method;
    switch (method) {
      case 'publickey': {
        const i = pendingKey();
        const id = keyRing.identities[i]!;
        nextKey = i + 1;
        lastOffered = id;
        keyRing.takeSigned();
        if (id.key !== null) log.debug1(`Offering public key: ${formatIdentity(id)}`);
        next({ type: 'agent', username: user, agent: keyRing.agentFor(id) });
        return;
      }
      case 'keyboard-interactive':
        next({ type: 'keyboard-interactive', username: user, prompt: kbdPrompt });
        return;
      case 'password':
        void (async () => {
          if (attempt > 1) log.error('Permission denied, please try again.');
          const pw = await opts.ask(`${user}@${promptHost}'s password: `, false);
          next({ type: 'password', username: user, password: pw ?? '' });
        })().catch(() => next({ type: 'password', username: user, password: '' }));
        return;
    }
  };
  return { handler: middleware as unknown as AuthHandlerMiddleware, state };
}
