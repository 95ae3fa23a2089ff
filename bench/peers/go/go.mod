module timebench/peer

go 1.19
