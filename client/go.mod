module github.com/saldo-mx/saldo/client

go 1.26.8
