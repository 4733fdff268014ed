# Progress of a long loop in a script (sourced): on a terminal one line redrawn in place,
#   fio [#########---------------]  37%  3 / 8 runs  0.1 runs/s  50 s left
# and when stdout is not a terminal a plain line at most every CFS_PROGRESS_INTERVAL seconds
# (default 10) and at the end, so logs stay readable. The rate is the average since the start.
#
#   progress_start LABEL TOTAL [UNIT]   before the loop (UNIT: what is counted, e.g. files, runs)
#   progress_update DONE                as the loop goes (DONE of TOTAL)
#   progress_print LINE                 a line of its own, not mixed with the bar
#   progress_end                        after the loop: the final figures
#
# CFS_PROGRESS_TTY=1/0 overrides the terminal check ([ -t 1 ]); tests redefine _progress_now.

_progress_now() { # milliseconds, monotonic enough for a progress line
  local t=${EPOCHREALTIME/./}
  echo $((t / 1000))
}

_progress_tty() {
  case "${CFS_PROGRESS_TTY:-}" in
    1) return 0 ;;
    0) return 1 ;;
    *) [ -t 1 ] ;;
  esac
}

progress_start() { # LABEL TOTAL [UNIT]
  _progress_label=$1
  _progress_total=$2
  _progress_unit=${3:-}
  _progress_done=0
  _progress_start=$(_progress_now)
  _progress_last=""
  _progress_shown=""
  progress_update 0
}

progress_update() { # DONE
  _progress_done=$1
  local now interval
  now=$(_progress_now)
  if _progress_tty; then interval=100; else interval=$((${CFS_PROGRESS_INTERVAL:-10} * 1000)); fi
  if [ -z "$_progress_last" ] || [ $((now - _progress_last)) -ge "$interval" ] \
      || { _progress_tty && [ "$_progress_done" -ge "$_progress_total" ]; }; then
    _progress_draw "$now"
  fi
}

progress_print() { # LINE
  if [ -n "$_progress_shown" ]; then printf '\r\033[K'; fi
  printf '%s\n' "$1"
  if [ -n "$_progress_shown" ]; then _progress_render "$(_progress_now)"; fi
}

progress_end() {
  local now
  now=$(_progress_now)
  if _progress_tty; then
    _progress_draw "$now"
    printf '\n'
    _progress_shown=""
  elif [ "$_progress_last" != "$now" ]; then
    _progress_draw "$now"
  fi
}

_progress_draw() { # NOW
  _progress_last=$1
  if _progress_tty; then
    printf '\r'
    _progress_render "$1"
    printf '\033[K'
    _progress_shown=1
  else
    printf '%s: %s\n' "$_progress_label" "$(_progress_figures "$1")"
  fi
}

_progress_render() { # NOW: the bar line
  local width=24 filled=24
  [ "$_progress_total" -gt 0 ] && filled=$((width * _progress_done / _progress_total))
  [ "$filled" -gt "$width" ] && filled=$width
  printf '%s [%s%s] %s' "$_progress_label" "$(printf '%*s' "$filled" '' | tr ' ' '#')" \
    "$(printf '%*s' $((width - filled)) '' | tr ' ' '-')" "$(_progress_figures "$1")"
}

_progress_figures() { # NOW: " 37%  3 / 8 runs  0.1 runs/s  50 s left"
  local elapsed=$(($1 - _progress_start)) unit=${_progress_unit:+ $_progress_unit} percent=100
  [ "$_progress_total" -gt 0 ] && percent=$((_progress_done * 100 / _progress_total))
  awk -v done="$_progress_done" -v total="$_progress_total" -v ms="$elapsed" -v unit="$unit" -v pct="$percent" '
    function dur(s) { return s < 120 ? sprintf("%d s", s) : s < 7200 ? sprintf("%d min", s / 60) : sprintf("%d h", s / 3600) }
    BEGIN {
      rate = ms > 0 ? done * 1000 / ms : 0
      line = sprintf("%3d%%  %d / %d%s  %.1f%s/s", pct, done, total, unit, rate, unit)
      if (done >= total) line = line "  done in " dur(int(ms / 1000))
      else if (rate > 0) line = line "  " dur(int((total - done) / rate)) " left"
      else line = line "  time left unknown"
      print line
    }'
}
