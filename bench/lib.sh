# Shell helpers of the bench scripts that start reference peers (sourced; they expect $WORK, a private
# temporary directory).

# A free TCP port on 127.0.0.1.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL [SECONDS]: until URL answers 2xx, at most SECONDS (10).
wait_http() {
    local i
    for i in $(seq $((${2:-10} * 10))); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "not answering: $1" >&2
    return 1
}

# install_missing WHAT PACKAGE...: installs the Debian packages not yet installed; on failure prints the
# end of apt's log and returns 1.
install_missing() {
    local what=$1 p missing=""
    shift
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "installing $what:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >"$WORK/apt.log" ||
        { tail -20 "$WORK/apt.log"; return 1; }
}

# nginx_conf_head WORKERS CONNECTIONS: the start of an nginx.conf for a private instance under $WORK/nginx
# (no daemon, its own pid, logs and temp paths, no access log), up to and including the open "http {";
# the caller adds its directives and servers and closes the block. $WORK/nginx must exist.
nginx_conf_head() {
    cat <<EOC
worker_processes $1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections $2; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    proxy_temp_path $WORK/nginx/proxy;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
EOC
}
