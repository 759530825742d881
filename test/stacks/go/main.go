// Fails as request handlers would, and prints what opentelemetry-go records with
// trace.WithStackTrace(true): recordStackTrace (sdk/trace/span.go) takes
// runtime.Stack(buf, false) into a buffer of 2048 bytes, where the error is recorded
// (RecordError) or where a panic is recovered (End, deferred in the handler).
// With the argument "crash", a handler panics while handling a panic and the program dies.
package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime"
)

var prices map[string]int

func recordStackTrace() string {
	stackTrace := make([]byte, 2048)
	n := runtime.Stack(stackTrace, false)
	return string(stackTrace[0:n])
}

// Prints an exception event as the SDK fills it: type, message, stack.
func recordError(err any) {
	fmt.Printf("%s\n%v\n%s", reflect.TypeOf(err), err, recordStackTrace())
	fmt.Println("--- end of exception ---")
}

func priceOf(item string) (int, error) {
	price, ok := prices[item]
	if !ok {
		err := fmt.Errorf("cannot price order 7: %w", errors.New("no price for "+item))
		recordError(err) // records: the error
		return 0, err
	}
	return price, nil
}

func ordersHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := priceOf("SPRING"); err != nil {
		http.Error(w, "failed", http.StatusInternalServerError)
	}
}

func endSpan() {
	if recovered := recover(); recovered != nil {
		recordError(recovered)
	}
}

func panickingHandler(w http.ResponseWriter, r *http.Request) {
	defer endSpan()
	prices["SPRING"] = 10 // panics: assignment to entry in nil map
}

func crashingHandler() {
	defer func() {
		first := recover()
		panic(fmt.Sprintf("audit failed while handling: %v", first)) // panics: while handling
	}()
	panic("no price for SPRING") // panics: first
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "crash" {
		crashingHandler()
	}
	for _, handler := range []http.HandlerFunc{ordersHandler, panickingHandler} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/7", nil))
	}
}
