# Runs zsh's real completion system on command lines, without a terminal, and prints what it
# offers (the zsh-capture-completion technique): an interactive `zsh -f -i` runs in a zsh/zpty
# pseudo-terminal with compinit and the completion files of FPATH_DIR; each LINE is typed followed
# by a TAB. A compadd wrapper records every match completion adds (with the prefix and suffix it
# would insert), and a widget bound to ^X^Z records the command line after the TAB.
#
#   zsh -f zsh-complete.zsh FPATH_DIR LINE...
#
# Output, for each LINE:
#   L <LINE>
#   C <match>        one per match, as it would be inserted (e.g. "root@alpha", "ProxyJump=")
#   D <display>      before a C line when the match is shown with a description ("-p  -- The port")
#   X <text>         a group description or message ("option", "remote command")
#   B <buffer>       the command line after the TAB
# and E <line> for anything written on standard error (a broken completion function's errors).
# Every wait is bounded by $ZC_TIMEOUT seconds per line (default 30); on a timeout it prints what
# the terminal showed on standard error and exits 3.
emulate -L zsh
setopt no_rcs
zmodload zsh/zpty zsh/datetime zsh/zselect || exit 2

if (( $# < 2 )); then
  print -u2 'usage: zsh -f zsh-complete.zsh FPATH_DIR LINE...'
  exit 2
fi
local dir=${1:A}; shift
local timeout=${ZC_TIMEOUT:-30}
local tmp
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zsh-complete.XXXXXX") || exit 2
local out=$tmp/out init=$tmp/init.zsh err=$tmp/err
: >| $out
: >| $err
trap 'zpty -d zc 2>/dev/null; rm -rf -- $tmp' EXIT

# Sourced by the shell inside the pseudo-terminal.
cat >| $init <<EOF
PROMPT= RPROMPT= PS2=
# Wide, so that the descriptions shown beside the matches are not cut.
stty columns 250 rows 50 2>/dev/null
bindkey -e
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
typeset -g ZC_OUT=${(q)out} ZC_ERR=${(q)err}
zstyle ':completion:*' list-prompt ''
zstyle ':completion:*' select-prompt ''
# Descriptions and messages in the compadd calls (-X, -x), so that they can be recorded.
zstyle ':completion:*:descriptions' format '%d'
zstyle ':completion:*:messages' format '%d'
EOF
cat >> $init <<'EOF'
# No list on the terminal (and no "do you wish to see all N possibilities?" question).
_zc_nolist() { compstate[list]='' }
comppostfuncs=(_zc_nolist)

# Records the matches of every compadd that adds matches, then adds them.
compadd() {
  # compadd's options (clusters like -Qf, arguments attached or in the next word), up to the words.
  local -A __zc_o
  local __zc_a __zc_c __zc_want=
  for __zc_a in "$@"; do
    if [[ -n $__zc_want ]]; then
      __zc_o[$__zc_want]=$__zc_a
      __zc_want=
      continue
    fi
    [[ $__zc_a == (-|--) || $__zc_a != -?* ]] && break
    __zc_a=${__zc_a#-}
    while [[ -n $__zc_a ]]; do
      __zc_c=${__zc_a[1]}
      __zc_a=${__zc_a[2,-1]}
      if [[ $__zc_c == [PpSsiIWdJVXxrRMFEOAD] ]]; then
        if [[ -n $__zc_a ]]; then __zc_o[-$__zc_c]=$__zc_a; else __zc_want=-$__zc_c; fi
        break
      fi
      __zc_o[-$__zc_c]=
    done
  done
  # -O, -A and -D only filter words into an array: not matches yet.
  if (( ${+__zc_o[-O]} || ${+__zc_o[-A]} || ${+__zc_o[-D]} )); then
    builtin compadd "$@"
    return
  fi
  [[ -n ${__zc_o[-X]} ]] && print -r -- "X ${__zc_o[-X]}" >> $ZC_OUT
  [[ -n ${__zc_o[-x]} ]] && print -r -- "X ${__zc_o[-x]}" >> $ZC_OUT
  local -a __zc_hits __zc_disp
  if [[ -n ${__zc_o[-d]} ]]; then
    if [[ ${__zc_o[-d]} == \(* ]]; then eval "__zc_disp=${__zc_o[-d]}"; else __zc_disp=("${(@P)__zc_o[-d]}"); fi
  fi
  # -O: the matching words as given (not quoted for the command line).
  builtin compadd -O __zc_hits -D __zc_disp "$@"
  local -i __zc_i=0
  local __zc_h __zc_suf __zc_w=${__zc_o[-W]:+${__zc_o[-W]%/}/}
  for __zc_h in $__zc_hits; do
    (( ++__zc_i ))
    (( $#__zc_disp >= __zc_i )) && print -r -- "D $__zc_disp[__zc_i]" >> $ZC_OUT
    __zc_suf=${__zc_o[-s]}${__zc_o[-S]-}
    # compadd -f (files): zsh appends / to a directory itself.
    (( ${+__zc_o[-f]} )) && [[ -d $__zc_w${__zc_o[-p]}$__zc_h ]] && __zc_suf=/
    print -r -- "C $IPREFIX${__zc_o[-P]}${__zc_o[-p]}$__zc_h$__zc_suf" >> $ZC_OUT
  done
  builtin compadd "$@"
}

_zc_done() {
  print -r -- "B $BUFFER" >> $ZC_OUT
  print -n -- '<zc-'done'>'
}
zle -N _zc_done
bindkey '^X^Z' _zc_done
# Said when zle starts reading a line: only then is the terminal raw. Keys typed before it go
# through the tty's cooked mode, where ^Z is the suspend character and never reaches zle.
zle-line-init() { print -n -- '<zc-'line'>' }
zle -N zle-line-init
# zle draws on the terminal it opened; standard error now goes to a file.
exec 2>>$ZC_ERR
print -- '<zc-'ready'>'
EOF

export TERM=vt100
zpty zc zsh -f -i || exit 2

# Reads the terminal until it has shown $1, for at most $timeout seconds.
local seen=
zc_wait() {
  local chunk deadline=$(( EPOCHREALTIME + timeout ))
  while [[ $seen != *"$1"* ]]; do
    if (( EPOCHREALTIME > deadline )); then
      print -u2 -r -- "zsh-complete: no '$1' within ${timeout}s; the terminal showed:"
      print -u2 -r -- "$seen"
      exit 3
    fi
    if zpty -rt zc chunk 2>/dev/null; then
      seen+=$chunk
    else
      zselect -t 2
    fi
  done
}

zpty -w zc "source ${(q)init}"
zc_wait '<zc-ready>'
zc_wait '<zc-line>'
local line
for line in "$@"; do
  seen=
  print -r -- "L $line" >> $out
  # The line, TAB, ^X^Z (record), ^U (clear the line for the next one).
  zpty -wn zc "$line"$'\t\C-x\C-z'
  zc_wait '<zc-done>'
  zpty -wn zc $'\C-u'
  if [[ -s $err ]]; then
    print -rl -- ${${(f)"$(<$err)"}/#/E } >> $out
    : >| $err
  fi
done
cat -- $out
