/**
 * Client authentication, sequenced as OpenSSH's sshconnect2.c does: "none" first to learn the
 * server's methods, then the first method of PreferredAuthentications that the server allows and
 * that still has tries left, again after every failure; the server's list after a partial success
 * starts the search over. Public keys are all offered through one KeyRing (see identities.ts);
 * password and keyboard-interactive get NumberOfPasswordPrompts tries each; BatchMode turns both
 * off. gssapi-with-mic and hostbased are not implemented and are skipped.
 */
import type { AnyAuthMethod, AuthHandlerMiddleware, KeyboardInteractiveCallback, Prompt } from 'ssh2';
import type { ResolvedClientConfig } from '../config/index.js';
import type { KeyRing } from './identities.js';
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
  const { cfg, log, user } = opts;
  const state: AuthState = { lastMethods: [], current: null };
  const preferred = (cfg.preferredAuthentications ?? DEFAULT_PREFERRED).split(',').filter((m) => m !== '');
  const tries = new Map<string, number>();
  let sentNone = false;
  let lastKey = '';

  const usable = (method: string): boolean => {
    switch (method) {
      case 'publickey':
        return cfg.pubkeyAuthentication !== 'false' && opts.keyRing.identities.length > 0 && (tries.get(method) ?? 0) < 1;
      case 'keyboard-interactive':
        return cfg.kbdInteractiveAuthentication && !cfg.batchMode && !opts.unsafe() && (tries.get(method) ?? 0) < cfg.numberOfPasswordPrompts;
      case 'password':
        return cfg.passwordAuthentication && !cfg.batchMode && !opts.unsafe() && (tries.get(method) ?? 0) < cfg.numberOfPasswordPrompts;
      default:
        return false;
    }
  };

  const kbdPrompt = (name: string, instructions: string, _lang: string, prompts: Prompt[], finish: KeyboardInteractiveCallback): void => {
    void (async () => {
      if (name) log.info(name);
      if (instructions) log.info(instructions);
      const answers: string[] = [];
      for (const p of prompts) {
        const a = await opts.ask(p.prompt, p.echo ?? false);
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
    const left = methodsLeft ?? [];
    log.debug1(`Authentications that can continue: ${left.join(',')}`);
    const key = left.join(',');
    if (partialSuccess && key !== lastKey) {
      log.verbose(`Authenticated using "${state.current}" with partial success.`);
      tries.delete('publickey');
    }
    lastKey = key;
    state.lastMethods = left;
    const method = preferred.find((m) => left.includes(m) && usable(m));
    if (method === undefined) {
      log.debug1('No more authentication methods to try.');
      next(false);
      return;
    }
    const attempt = (tries.get(method) ?? 0) + 1;
    tries.set(method, attempt);
    state.current = method;
    log.debug1(`Next authentication method: ${method}`);
    switch (method) {
      case 'publickey':
        next({ type: 'agent', username: user, agent: opts.keyRing });
        return;
      case 'keyboard-interactive':
        next({ type: 'keyboard-interactive', username: user, prompt: kbdPrompt });
        return;
      case 'password':
        void (async () => {
          if (attempt > 1) log.error('Permission denied, please try again.');
          const pw = await opts.ask(`${user.slice(0, 30)}@${opts.host.slice(0, 128)}'s password: `, false);
          next({ type: 'password', username: user, password: pw ?? '' });
        })().catch(() => next({ type: 'password', username: user, password: '' }));
        return;
    }
  };
  return { handler: middleware as unknown as AuthHandlerMiddleware, state };
}
