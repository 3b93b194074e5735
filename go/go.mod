module github.com/xent-conformance/xent/go

go 1.22
