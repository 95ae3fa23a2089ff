# chart.gp - grouped bar chart of the benchmark medians (docs/benchmarks.png).
#
#   gnuplot -e "datafile='chart.dat'; outfile='benchmarks.png'; servers='cpp epoll go python'; subtitle='...'" bench/chart.gp
#
# datafile is written by `bench/summarize.py report --chart-data`: one row per cell, quoted
# title first, then for every server in `servers` three columns: median, lowest run, highest
# run.  Rows 1-3 (pingpong c=50, pingpong c=1000, churn c=50) are in thousands per second,
# row 4 (pipeline c=50 p=64) in millions of replies per second, so it gets its own panel.
# Missing values are "?".

if (!exists("datafile")) datafile = 'chart.dat'
if (!exists("outfile")) outfile = 'benchmarks.png'
if (!exists("servers")) servers = 'cpp epoll go python'
if (!exists("subtitle")) subtitle = ''

N = words(servers)
gap = 1   # must match 'set style histogram ... gap 1' below
off(i) = (i - (N - 1) / 2.0) / (N + gap)   # x offset of server i's bar within a cluster
lbl(v) = v >= 100 ? sprintf("%.0f", v) : (v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v))
array colors[6] = ["#d95f02", "#1b9e77", "#7570b3", "#999999", "#e7298a", "#66a61e"]

if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
    set terminal pngcairo size 1200,520 font "sans,10" noenhanced
} else {
    set terminal png size 1200,520 noenhanced
}
set output outfile
set datafile missing "?"

set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 1.0 relative
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
set yrange [0:*]
set key top right samplen 1.5 spacing 1.1
set offsets 0, 0, graph 0.08, 0

set multiplot layout 1,2 title "time_server (cpp) vs the peer servers on 127.0.0.1: medians, whiskers = range over runs".(subtitle eq '' ? '' : "\n".subtitle)

# left panel: rows 0-2, thousands per second
set size 0.68, 0.92
set origin 0.0, 0.0
set ylabel "thousands per second (requests; churn: connections)"
set title "pingpong and churn"
plot for [i=0:N-1] datafile every ::0::2 using (column(2 + 3*i)):(column(3 + 3*i)):(column(4 + 3*i)):xtic(1) \
         title word(servers, i + 1) lc rgb colors[i % 6 + 1], \
     for [i=0:N-1] datafile every ::0::2 using ($0 + off(i)):(column(4 + 3*i)):(lbl(column(2 + 3*i))) \
         with labels offset 0, 0.7 font ",8" notitle

# right panel: row 3, millions per second
set size 0.32, 0.92
set origin 0.68, 0.0
set ylabel "millions of replies per second"
set title "pipeline c=50 p=64"
unset key
plot for [i=0:N-1] datafile every ::3::3 using (column(2 + 3*i)):(column(3 + 3*i)):(column(4 + 3*i)):xtic(1) \
         title word(servers, i + 1) lc rgb colors[i % 6 + 1], \
     for [i=0:N-1] datafile every ::3::3 using ($0 + off(i)):(column(4 + 3*i)):(lbl(column(2 + 3*i))) \
         with labels offset 0, 0.7 font ",8" notitle

unset multiplot
set output
