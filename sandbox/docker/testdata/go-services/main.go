// A test server that talks to the pod's database services: Postgres through
// pgx (SQL), Redis and MariaDB at the protocol level (PING, the handshake).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	http.HandleFunc("/pg/put", func(w http.ResponseWriter, r *http.Request) {
		conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS kv (v text); INSERT INTO kv VALUES ('`+r.URL.Query().Get("v")+`')`)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/pg/get", func(w http.ResponseWriter, r *http.Request) {
		conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close(ctx)
		var db string
		var vs []string
		if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rows, err := conn.Query(ctx, `SELECT v FROM kv ORDER BY v`)
		if err == nil {
			vs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil && !strings.Contains(err.Error(), "does not exist") {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"database": db, "values": vs})
	})
	http.HandleFunc("/redis", func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(os.Getenv("REDIS_URL"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer c.Close()
		fmt.Fprint(c, "PING\r\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, strings.TrimSpace(line))
	})
	http.HandleFunc("/mariadb", func(w http.ResponseWriter, r *http.Request) {
		u, err := url.Parse(os.Getenv("MYSQL_URL"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer c.Close()
		// The server speaks first: a packet header (4 bytes), protocol
		// version 10, then the server version, NUL-terminated.
		br := bufio.NewReader(c)
		hdr := make([]byte, 5)
		if _, err := br.Read(hdr); err != nil || hdr[4] != 10 {
			http.Error(w, fmt.Sprintf("no handshake: %v %v", hdr, err), 500)
			return
		}
		v, _ := br.ReadString(0)
		fmt.Fprint(w, strings.TrimRight(v, "\x00"))
	})
	// /isolation: the interfaces the server sees and whether it reaches
	// $TARGET (an address outside the pod).
	http.HandleFunc("/isolation", func(w http.ResponseWriter, r *http.Request) {
		ifs, _ := net.Interfaces()
		var names []string
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		connect := "ok"
		if c, err := net.DialTimeout("tcp", os.Getenv("TARGET"), 2*time.Second); err != nil {
			connect = "failed: " + err.Error()
		} else {
			c.Close()
		}
		json.NewEncoder(w).Encode(map[string]any{"interfaces": names, "connect": connect})
	})
	log.Printf("listening on %s", os.Getenv("PORT"))
	log.Fatal(http.ListenAndServe(":"+os.Getenv("PORT"), nil))
}
