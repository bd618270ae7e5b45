/*
 * tsh-pam: a minimal N-API binding to PAM for tshd.
 *
 * Each transaction runs on its own detached thread, never on the event loop and never on libuv's
 * thread pool: a PAM conversation can wait for a remote user for minutes, and pam_unix sleeps
 * ~2 s after a failure, which would starve fs, dns and crypto.scrypt if it held a pool thread.
 * The thread does pam_start, pam_set_item PAM_RHOST/PAM_TTY, pam_authenticate (unless
 * accountOnly) and pam_acct_mgmt, reports that, then keeps the PAM handle and waits for commands
 * (as sshd keeps its handle for the whole connection): "chauthtok" (PAM_CHANGE_EXPIRED_AUTHTOK),
 * "setcred" (PAM_ESTABLISH_CRED), "open_session", "close_session" (PAM_SILENT), "delete_cred"
 * (PAM_DELETE_CRED), and "end" (pam_end; the thread exits). A handle that is garbage collected
 * ends its transaction too.
 *
 * The conversation is surfaced to JavaScript: every call of the PAM conversation function becomes
 * one event { type: 'conv', messages: [{ style, text }] } on the event loop; the PAM thread waits
 * until JavaScript calls respond(handle, answers) (answers[i] for messages[i], null for none) or
 * respond(handle, null) to cancel (the conversation then fails with PAM_CONV_ERR). The end of each
 * step is one event { type: 'done', stage, code, message, env } (env: pam_getenvlist()).
 *
 * JavaScript API:
 *   start(service, user, rhost, tty|null, flags, accountOnly, onEvent) -> handle
 *   command(handle, op) -> void   (op: "chauthtok", "setcred", "open_session", "close_session",
 *                                  "delete_cred", "end"; one at a time, after the previous done)
 *   respond(handle, answers: (string|null)[] | null) -> void
 *   codes: { SUCCESS, AUTH_ERR, ... }  (numeric values differ between Linux-PAM and OpenPAM)
 *   styles: { PROMPT_ECHO_OFF, PROMPT_ECHO_ON, ERROR_MSG, TEXT_INFO }
 *   flags: { DISALLOW_NULL_AUTHTOK }
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <security/pam_appl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifndef PAM_MAX_NUM_MSG
#define PAM_MAX_NUM_MSG 32
#endif

typedef enum { T_RUNNING, T_WAITING, T_ANSWERED, T_CANCELLED } txn_state;

/* The commands after the first step; OP_NONE while the thread waits for one. */
typedef enum { OP_NONE, OP_CHAUTHTOK, OP_SETCRED, OP_OPEN_SESSION, OP_CLOSE_SESSION, OP_DELETE_CRED, OP_END } txn_op;
static const char *const op_names[] = { "", "chauthtok", "setcred", "open_session", "close_session", "delete_cred", "end" };

typedef struct txn {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int refs; /* one for the PAM thread, one for the JavaScript handle */
  txn_state state;
  int nanswers;
  char **answers;
  char *service;
  char *user;
  char *rhost;
  char *tty; /* NULL: leave PAM_TTY unset */
  int flags;
  int account_only;
  int orphaned; /* the JavaScript handle is gone: nobody can answer */
  txn_op op;    /* the command waiting for the thread */
  int ended;    /* the thread has ended the transaction */
  napi_threadsafe_function tsfn;
} txn;

typedef struct event {
  int done; /* 0: conversation, 1: end of the transaction */
  txn *t;
  int nmsg;
  int *styles;
  char **texts;
  int code;
  const char *stage;
  char *message;
  int nenv;
  char **env; /* pam_getenvlist() after the step */
} event;

static void scrub(char *s) {
  if (s == NULL) return;
  volatile char *p = s;
  while (*p) *p++ = 0;
}

static void free_strings(char **v, int n, int secret) {
  if (v == NULL) return;
  for (int i = 0; i < n; i++) {
    if (secret) scrub(v[i]);
    free(v[i]);
  }
  free(v);
}

static char *dup_or_empty(const char *s) { return strdup(s != NULL ? s : ""); }

static void txn_unref(txn *t) {
  pthread_mutex_lock(&t->mu);
  int left = --t->refs;
  pthread_mutex_unlock(&t->mu);
  if (left > 0) return;
  free_strings(t->answers, t->nanswers, 1);
  free(t->service);
  free(t->user);
  free(t->rhost);
  free(t->tty);
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
  free(t);
}

/* Wakes a PAM thread waiting for answers, making its conversation fail. */
static void txn_cancel(txn *t) {
  pthread_mutex_lock(&t->mu);
  if (t->state == T_WAITING) {
    t->state = T_CANCELLED;
    pthread_cond_broadcast(&t->cv);
  }
  pthread_mutex_unlock(&t->mu);
}

static void event_free(event *ev) {
  if (ev == NULL) return;
  free(ev->styles);
  free_strings(ev->texts, ev->nmsg, 0);
  free(ev->message);
  free_strings(ev->env, ev->nenv, 1);
  free(ev);
}

/* ---- the PAM thread ---- */

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata) {
  txn *t = appdata;
  *resp = NULL;
  if (n <= 0 || n > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  event *ev = calloc(1, sizeof *ev);
  if (ev == NULL) return PAM_BUF_ERR;
  ev->t = t;
  ev->nmsg = n;
  ev->styles = calloc((size_t)n, sizeof *ev->styles);
  ev->texts = calloc((size_t)n, sizeof *ev->texts);
  if (ev->styles == NULL || ev->texts == NULL) {
    event_free(ev);
    return PAM_BUF_ERR;
  }
  for (int i = 0; i < n; i++) {
    ev->styles[i] = msg[i]->msg_style;
    ev->texts[i] = dup_or_empty(msg[i]->msg);
    if (ev->texts[i] == NULL) {
      event_free(ev);
      return PAM_BUF_ERR;
    }
  }
  pthread_mutex_lock(&t->mu);
  int orphaned = t->orphaned;
  if (!orphaned) t->state = T_WAITING;
  pthread_mutex_unlock(&t->mu);
  if (orphaned) {
    event_free(ev);
    return PAM_CONV_ERR;
  }
  if (napi_call_threadsafe_function(t->tsfn, ev, napi_tsfn_nonblocking) != napi_ok) {
    event_free(ev);
    pthread_mutex_lock(&t->mu);
    t->state = T_RUNNING;
    pthread_mutex_unlock(&t->mu);
    return PAM_CONV_ERR;
  }
  pthread_mutex_lock(&t->mu);
  while (t->state == T_WAITING) pthread_cond_wait(&t->cv, &t->mu);
  int ok = t->state == T_ANSWERED && t->nanswers == n;
  char **answers = t->answers;
  int nanswers = t->nanswers;
  t->answers = NULL;
  t->nanswers = 0;
  t->state = T_RUNNING;
  pthread_mutex_unlock(&t->mu);
  if (!ok) {
    free_strings(answers, nanswers, 1);
    return PAM_CONV_ERR;
  }
  struct pam_response *r = calloc((size_t)n, sizeof *r);
  if (r == NULL) {
    free_strings(answers, nanswers, 1);
    return PAM_BUF_ERR;
  }
  for (int i = 0; i < n; i++) {
    r[i].resp = answers[i]; /* PAM owns (scrubs and frees) the strings now */
    r[i].resp_retcode = 0;
  }
  free(answers);
  *resp = r;
  return PAM_SUCCESS;
}

/* Sends the end of a step to JavaScript (with the PAM environment when there is a handle). */
static void emit_done(txn *t, pam_handle_t *h, const char *stage, int rc) {
  event *ev = calloc(1, sizeof *ev);
  if (ev == NULL) return;
  ev->done = 1;
  ev->code = rc;
  ev->stage = stage;
  ev->message = dup_or_empty(pam_strerror(h, rc));
  if (h != NULL && strcmp(stage, "end") != 0) {
    char **list = pam_getenvlist(h);
    if (list != NULL) {
      int n = 0;
      while (list[n] != NULL) n++;
      ev->env = list; /* malloc'ed strings in a malloc'ed array: ours to free */
      ev->nenv = n;
    }
  }
  if (napi_call_threadsafe_function(t->tsfn, ev, napi_tsfn_nonblocking) != napi_ok) event_free(ev);
}

static void *pam_thread(void *arg) {
  txn *t = arg;
  pam_handle_t *h = NULL;
  struct pam_conv conv = { conversation, t };
  const char *stage = "start";
  int rc = pam_start(t->service, t->user, &conv, &h);
  if (rc == PAM_SUCCESS && t->rhost[0] != '\0') {
    stage = "set_item";
    rc = pam_set_item(h, PAM_RHOST, t->rhost);
  }
  if (rc == PAM_SUCCESS && t->tty != NULL) {
    stage = "set_item";
    rc = pam_set_item(h, PAM_TTY, t->tty);
  }
  if (rc == PAM_SUCCESS && !t->account_only) {
    stage = "authenticate";
    rc = pam_authenticate(h, t->flags);
  }
  if (rc == PAM_SUCCESS) {
    stage = "account";
    rc = pam_acct_mgmt(h, t->flags);
  }
  int last = rc;
  if (h != NULL) {
    emit_done(t, h, stage, rc);
    /* Keep the handle: wait for commands until "end" (or the JavaScript handle is gone). */
    for (;;) {
      pthread_mutex_lock(&t->mu);
      while (t->op == OP_NONE && !t->orphaned) pthread_cond_wait(&t->cv, &t->mu);
      txn_op op = t->op == OP_NONE ? OP_END : t->op;
      t->op = OP_NONE;
      pthread_mutex_unlock(&t->mu);
      if (op == OP_END) break;
      switch (op) {
        case OP_CHAUTHTOK: rc = pam_chauthtok(h, PAM_CHANGE_EXPIRED_AUTHTOK); break;
        case OP_SETCRED: rc = pam_setcred(h, PAM_ESTABLISH_CRED); break;
        case OP_OPEN_SESSION: rc = pam_open_session(h, 0); break;
        case OP_CLOSE_SESSION: rc = pam_close_session(h, PAM_SILENT); break;
        case OP_DELETE_CRED: rc = pam_setcred(h, PAM_DELETE_CRED); break;
        default: rc = PAM_SYSTEM_ERR; break;
      }
      last = rc;
      emit_done(t, h, op_names[op], rc);
    }
    pam_end(h, last);
  }
  pthread_mutex_lock(&t->mu);
  t->ended = 1;
  pthread_mutex_unlock(&t->mu);
  emit_done(t, NULL, h != NULL ? "end" : stage, h != NULL ? PAM_SUCCESS : rc);
  napi_release_threadsafe_function(t->tsfn, napi_tsfn_release);
  txn_unref(t);
  return NULL;
}

/* ---- the event loop ---- */

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "tsh-pam: " #call);    \
      return NULL;                                         \
    }                                                      \
  } while (0)

static napi_status set_int(napi_env env, napi_value obj, const char *key, int value) {
  napi_value v;
  napi_status s = napi_create_int32(env, value, &v);
  return s != napi_ok ? s : napi_set_named_property(env, obj, key, v);
}

static napi_status set_str(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status s = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  return s != napi_ok ? s : napi_set_named_property(env, obj, key, v);
}

static napi_value build_event(napi_env env, event *ev) {
  napi_value obj, arr;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (ev->done) {
    if (set_str(env, obj, "type", "done") != napi_ok || set_str(env, obj, "stage", ev->stage) != napi_ok ||
        set_int(env, obj, "code", ev->code) != napi_ok || set_str(env, obj, "message", ev->message) != napi_ok ||
        napi_create_array_with_length(env, (size_t)ev->nenv, &arr) != napi_ok)
      return NULL;
    for (int i = 0; i < ev->nenv; i++) {
      napi_value v;
      if (napi_create_string_utf8(env, ev->env[i], NAPI_AUTO_LENGTH, &v) != napi_ok || napi_set_element(env, arr, (uint32_t)i, v) != napi_ok)
        return NULL;
    }
    if (napi_set_named_property(env, obj, "env", arr) != napi_ok) return NULL;
    return obj;
  }
  if (set_str(env, obj, "type", "conv") != napi_ok || napi_create_array_with_length(env, (size_t)ev->nmsg, &arr) != napi_ok)
    return NULL;
  for (int i = 0; i < ev->nmsg; i++) {
    napi_value m;
    if (napi_create_object(env, &m) != napi_ok || set_int(env, m, "style", ev->styles[i]) != napi_ok ||
        set_str(env, m, "text", ev->texts[i]) != napi_ok || napi_set_element(env, arr, (uint32_t)i, m) != napi_ok)
      return NULL;
  }
  if (napi_set_named_property(env, obj, "messages", arr) != napi_ok) return NULL;
  return obj;
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  event *ev = data;
  if (env == NULL || js_cb == NULL) { /* the environment is going away */
    if (!ev->done) txn_cancel(ev->t);
    event_free(ev);
    return;
  }
  napi_value obj = build_event(env, ev);
  napi_value undefined;
  int delivered = 0;
  if (obj != NULL && napi_get_undefined(env, &undefined) == napi_ok) {
    napi_status s = napi_call_function(env, undefined, js_cb, 1, &obj, NULL);
    delivered = s == napi_ok;
    if (s == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  if (!delivered && !ev->done) txn_cancel(ev->t);
  event_free(ev);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  txn *t = data;
  pthread_mutex_lock(&t->mu);
  t->orphaned = 1; /* nobody can answer any more, nor send commands: the thread ends */
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  txn_cancel(t);
  txn_unref(t);
}

static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype type;
  return napi_typeof(env, v, &type) == napi_ok && (type == napi_null || type == napi_undefined);
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) {
    napi_throw_type_error(env, NULL, "tsh-pam: start(service, user, rhost, tty, flags, accountOnly, onEvent)");
    return NULL;
  }
  txn *t = calloc(1, sizeof *t);
  if (t == NULL) {
    napi_throw_error(env, NULL, "tsh-pam: out of memory");
    return NULL;
  }
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  t->refs = 1; /* the JavaScript handle, once made; the thread takes its own below */
  t->state = T_RUNNING;
  t->service = get_string(env, argv[0]);
  t->user = get_string(env, argv[1]);
  t->rhost = get_string(env, argv[2]);
  t->tty = is_nullish(env, argv[3]) ? NULL : get_string(env, argv[3]);
  bool account_only = false;
  if (t->service == NULL || t->user == NULL || t->rhost == NULL || (!is_nullish(env, argv[3]) && t->tty == NULL) ||
      napi_get_value_int32(env, argv[4], &t->flags) != napi_ok || napi_get_value_bool(env, argv[5], &account_only) != napi_ok) {
    txn_unref(t);
    napi_throw_type_error(env, NULL, "tsh-pam: start: service, user, rhost must be strings, tty a string or null, flags a number, accountOnly a boolean");
    return NULL;
  }
  t->account_only = account_only;
  napi_value name, handle;
  if (napi_create_string_utf8(env, "tsh-pam", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[6], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &t->tsfn) != napi_ok) {
    txn_unref(t);
    napi_throw_type_error(env, NULL, "tsh-pam: start: onEvent must be a function");
    return NULL;
  }
  if (napi_create_external(env, t, handle_finalize, NULL, &handle) != napi_ok) {
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    txn_unref(t);
    napi_throw_error(env, NULL, "tsh-pam: napi_create_external");
    return NULL;
  }
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  t->refs++;
  int err = pthread_create(&thread, &attr, pam_thread, t);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    t->refs--;
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    napi_throw_error(env, NULL, "tsh-pam: cannot start a thread");
    return NULL;
  }
  return handle;
}

static napi_value js_command(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  txn *t = NULL;
  char name[32];
  size_t len = 0;
  if (argc != 2 || napi_get_value_external(env, argv[0], (void **)&t) != napi_ok || t == NULL ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "tsh-pam: command(handle, op)");
    return NULL;
  }
  txn_op op = OP_NONE;
  for (int i = OP_CHAUTHTOK; i <= OP_END; i++)
    if (strcmp(name, op_names[i]) == 0) op = (txn_op)i;
  if (op == OP_NONE) {
    napi_throw_type_error(env, NULL, "tsh-pam: command: unknown op");
    return NULL;
  }
  pthread_mutex_lock(&t->mu);
  if (t->ended || t->op != OP_NONE) {
    int ended = t->ended;
    pthread_mutex_unlock(&t->mu);
    napi_throw_error(env, NULL, ended ? "tsh-pam: command: the transaction has ended" : "tsh-pam: command: another command is waiting");
    return NULL;
  }
  t->op = op;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

static napi_value js_respond(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  txn *t = NULL;
  if (argc != 2 || napi_get_value_external(env, argv[0], (void **)&t) != napi_ok || t == NULL) {
    napi_throw_type_error(env, NULL, "tsh-pam: respond(handle, answers)");
    return NULL;
  }
  char **answers = NULL;
  uint32_t n = 0;
  int cancel = is_nullish(env, argv[1]);
  if (!cancel) {
    bool is_array = false;
    if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok ||
        n > PAM_MAX_NUM_MSG) {
      napi_throw_type_error(env, NULL, "tsh-pam: respond: answers must be an array of strings or nulls, or null");
      return NULL;
    }
    answers = calloc(n > 0 ? n : 1, sizeof *answers);
    if (answers == NULL) {
      napi_throw_error(env, NULL, "tsh-pam: out of memory");
      return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      if (napi_get_element(env, argv[1], i, &v) != napi_ok) {
        free_strings(answers, (int)n, 1);
        napi_throw_error(env, NULL, "tsh-pam: respond: napi_get_element");
        return NULL;
      }
      if (is_nullish(env, v)) continue;
      answers[i] = get_string(env, v);
      if (answers[i] == NULL) {
        free_strings(answers, (int)n, 1);
        napi_throw_type_error(env, NULL, "tsh-pam: respond: answers must be strings or nulls");
        return NULL;
      }
    }
  }
  pthread_mutex_lock(&t->mu);
  if (t->state != T_WAITING) {
    pthread_mutex_unlock(&t->mu);
    free_strings(answers, (int)n, 1);
    napi_throw_error(env, NULL, "tsh-pam: respond: no conversation is waiting");
    return NULL;
  }
  t->answers = answers;
  t->nanswers = (int)n;
  t->state = cancel ? T_CANCELLED : T_ANSWERED;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

static napi_value make_table(napi_env env, const char *const *names, const int *values, size_t n) {
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++)
    if (set_int(env, obj, names[i], values[i]) != napi_ok) return NULL;
  return obj;
}

#define ENTRY(x) #x
static const char *const code_names[] = {
  ENTRY(SUCCESS), ENTRY(OPEN_ERR), ENTRY(SYMBOL_ERR), ENTRY(SERVICE_ERR), ENTRY(SYSTEM_ERR), ENTRY(BUF_ERR),
  ENTRY(PERM_DENIED), ENTRY(AUTH_ERR), ENTRY(CRED_INSUFFICIENT), ENTRY(AUTHINFO_UNAVAIL), ENTRY(USER_UNKNOWN),
  ENTRY(MAXTRIES), ENTRY(NEW_AUTHTOK_REQD), ENTRY(ACCT_EXPIRED), ENTRY(CONV_ERR), ENTRY(ABORT),
  ENTRY(SESSION_ERR), ENTRY(CRED_UNAVAIL), ENTRY(CRED_EXPIRED), ENTRY(CRED_ERR), ENTRY(AUTHTOK_ERR),
  ENTRY(AUTHTOK_RECOVERY_ERR), ENTRY(AUTHTOK_LOCK_BUSY), ENTRY(AUTHTOK_DISABLE_AGING), ENTRY(TRY_AGAIN), ENTRY(IGNORE),
};
static const int code_values[] = {
  PAM_SUCCESS, PAM_OPEN_ERR, PAM_SYMBOL_ERR, PAM_SERVICE_ERR, PAM_SYSTEM_ERR, PAM_BUF_ERR,
  PAM_PERM_DENIED, PAM_AUTH_ERR, PAM_CRED_INSUFFICIENT, PAM_AUTHINFO_UNAVAIL, PAM_USER_UNKNOWN,
  PAM_MAXTRIES, PAM_NEW_AUTHTOK_REQD, PAM_ACCT_EXPIRED, PAM_CONV_ERR, PAM_ABORT,
  PAM_SESSION_ERR, PAM_CRED_UNAVAIL, PAM_CRED_EXPIRED, PAM_CRED_ERR, PAM_AUTHTOK_ERR,
  PAM_AUTHTOK_RECOVERY_ERR, PAM_AUTHTOK_LOCK_BUSY, PAM_AUTHTOK_DISABLE_AGING, PAM_TRY_AGAIN, PAM_IGNORE,
};
static const char *const style_names[] = { ENTRY(PROMPT_ECHO_OFF), ENTRY(PROMPT_ECHO_ON), ENTRY(ERROR_MSG), ENTRY(TEXT_INFO) };
static const int style_values[] = { PAM_PROMPT_ECHO_OFF, PAM_PROMPT_ECHO_ON, PAM_ERROR_MSG, PAM_TEXT_INFO };
static const char *const flag_names[] = { ENTRY(DISALLOW_NULL_AUTHTOK) };
static const int flag_values[] = { PAM_DISALLOW_NULL_AUTHTOK };

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "start", NAPI_AUTO_LENGTH, js_start, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "start", fn) != napi_ok ||
      napi_create_function(env, "respond", NAPI_AUTO_LENGTH, js_respond, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "respond", fn) != napi_ok ||
      napi_create_function(env, "command", NAPI_AUTO_LENGTH, js_command, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "command", fn) != napi_ok)
    return NULL;
  napi_value codes = make_table(env, code_names, code_values, sizeof code_values / sizeof code_values[0]);
  napi_value styles = make_table(env, style_names, style_values, sizeof style_values / sizeof style_values[0]);
  napi_value flags = make_table(env, flag_names, flag_values, sizeof flag_values / sizeof flag_values[0]);
  if (codes == NULL || styles == NULL || flags == NULL || napi_set_named_property(env, exports, "codes", codes) != napi_ok ||
      napi_set_named_property(env, exports, "styles", styles) != napi_ok ||
      napi_set_named_property(env, exports, "flags", flags) != napi_ok)
    return NULL;
  return exports;
}
