module github.com/eksbalance/eksbalance/tests/awslb

go 1.26.0
