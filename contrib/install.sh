#!/bin/sh
# Installs tsh from its unpacked release tarball (npm run dist builds it):
#
#   ./install.sh [--prefix DIR]        (default /usr/local)
#
#   DIR/bin/tsh                         the single executable; tshd, tsh-sftp, tsh-keygen link to it
#   DIR/share/man/manN/                 the manuals
#   DIR/share/bash-completion/completions/, DIR/share/zsh/site-functions/   shell completion
#   DIR/share/tsh/contrib/              the systemd unit and the PAM file (not activated: see them)
#
# Files already there are replaced. Nothing outside DIR is touched.
set -eu

usage() {
	echo "usage: install.sh [--prefix DIR]" >&2
}

prefix=/usr/local
while [ $# -gt 0 ]; do
	case $1 in
	--prefix)
		[ $# -ge 2 ] || { usage; exit 2; }
		prefix=$2
		shift 2
		;;
	--prefix=*)
		prefix=${1#--prefix=}
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "install.sh: unknown argument: $1" >&2
		usage
		exit 2
		;;
	esac
done
[ -n "$prefix" ] || { usage; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
tools="tsh tshd tsh-sftp tsh-keygen"

# The binary, then the links (replaced atomically: a running tshd keeps its old binary).
install -d -m 0755 "$prefix/bin"
install -m 0755 "$here/bin/tsh" "$prefix/bin/.tsh.new.$$"
mv -f "$prefix/bin/.tsh.new.$$" "$prefix/bin/tsh"
for t in $tools; do
	[ "$t" = tsh ] && continue
	ln -sfn tsh "$prefix/bin/$t"
done

# Manuals: tsh.1 → share/man/man1/tsh.1, tshd.8 → man8, tsh_config.5 → man5.
if [ -d "$here/man" ]; then
	for f in "$here"/man/*; do
		[ -f "$f" ] || continue
		section=${f##*.}
		case $section in [1-9]) ;; *) continue ;; esac
		install -d -m 0755 "$prefix/share/man/man$section"
		install -m 0644 "$f" "$prefix/share/man/man$section/"
	done
fi

# Completion: completions/bash/NAME or completions/NAME.bash (bash-completion loads the file
# named after the command); completions/zsh/_NAME or completions/_NAME (zsh's fpath).
bashdir=$prefix/share/bash-completion/completions
zshdir=$prefix/share/zsh/site-functions
if [ -d "$here/completions" ]; then
	for f in "$here"/completions/bash/* "$here"/completions/*.bash; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .bash)
		install -d -m 0755 "$bashdir"
		install -m 0644 "$f" "$bashdir/$name"
	done
	for f in "$here"/completions/zsh/* "$here"/completions/_* "$here"/completions/*.zsh; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .zsh)
		case $name in _*) ;; *) name=_$name ;; esac
		install -d -m 0755 "$zshdir"
		install -m 0644 "$f" "$zshdir/$name"
	done
	# One bash file may serve all four commands: each command name must find it.
	if [ -f "$bashdir/tsh" ]; then
		for t in $tools; do
			[ -e "$bashdir/$t" ] || ln -sfn tsh "$bashdir/$t"
		done
	fi
fi

if [ -d "$here/contrib" ]; then
	install -d -m 0755 "$prefix/share/tsh"
	rm -rf "$prefix/share/tsh/contrib"
	cp -R "$here/contrib" "$prefix/share/tsh/contrib"
	chmod -R u=rwX,go=rX "$prefix/share/tsh/contrib"
fi

echo "tsh installed in $prefix (run: $prefix/bin/tsh -V)"
