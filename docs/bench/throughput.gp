set terminal pngcairo size 1200,500 font 'sans,10'
set output 'docs/bench/throughput.png'
set multiplot layout 1,2 title 'Round trips per second on loopback (64-byte echo; redis: PING)'
set logscale x
set xtics (1, 5, 50, 200)
set xrange [0.8:250.0]
set yrange [0:*]
set format y '%.0s%c'
set grid
set key top left
set xlabel 'concurrent clients'
set ylabel 'round trips / s'
set title 'persistent connections'
plot 'docs/bench/throughput.dat' index 0 using 1:2 with linespoints lw 3 lc rgb '#d62728' pt 7 title 'sockbind echo (log on)', \
     'docs/bench/throughput.dat' index 0 using 1:3 with linespoints lw 2 lc rgb '#1f77b4' pt 5 title 'Python ForkingTCPServer', \
     'docs/bench/throughput.dat' index 0 using 1:4 with linespoints lw 2 lc rgb '#2ca02c' pt 9 title 'xinetd internal echo', \
     'docs/bench/throughput.dat' index 0 using 1:5 with linespoints lw 2 lc rgb '#9467bd' pt 11 title 'socat fork PIPE', \
     'docs/bench/throughput.dat' index 0 using 1:6 with linespoints lw 2 lc rgb '#7f7f7f' pt 13 dt 2 title 'redis-server PING'
set title 'a connection per round trip (4 source addresses)'
plot 'docs/bench/throughput.dat' index 1 using 1:2 with linespoints lw 3 lc rgb '#d62728' pt 7 title 'sockbind echo (log on)', \
     'docs/bench/throughput.dat' index 1 using 1:3 with linespoints lw 2 lc rgb '#1f77b4' pt 5 title 'Python ForkingTCPServer', \
     'docs/bench/throughput.dat' index 1 using 1:4 with linespoints lw 2 lc rgb '#2ca02c' pt 9 title 'xinetd internal echo', \
     'docs/bench/throughput.dat' index 1 using 1:5 with linespoints lw 2 lc rgb '#9467bd' pt 11 title 'socat fork PIPE', \
     'docs/bench/throughput.dat' index 1 using 1:6 with linespoints lw 2 lc rgb '#7f7f7f' pt 13 dt 2 title 'redis-server PING'
unset multiplot
