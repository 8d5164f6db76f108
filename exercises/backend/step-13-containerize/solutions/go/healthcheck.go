// Step 13: `server -healthcheck` asks the running server's /health and exits
// 0 when it answers 200, 1 otherwise: the image's HEALTHCHECK needs no curl.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func healthcheck(port string) int {
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+port+"/health", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	req.Header.Set("X-Request-ID", "healthcheck")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: /health answered", resp.Status)
		return 1
	}
	return 0
}
