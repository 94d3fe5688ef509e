module example.com/go-chi

go 1.24

toolchain go1.24.4

require github.com/go-chi/chi/v5 v5.2.3
