package centrifugo

import "strconv"

// Node describes one Centrifugo node of the tier, for NodeConfig.
type Node struct {
	Port           int      // http_server.port: browsers' WebSocket (and, without InternalPort, the server API)
	InternalPort   int      // http_server.internal_port: the server API, reached by Madang only (0: on Port)
	Address        string   // http_server.address ("" = every interface)
	AllowedOrigins []string // client.allowed_origins: the web client's origin
	MadangURL      string   // where Centrifugo reaches Madang, e.g. http://madang:8090
	APIKey         string   // MADANG_CENTRIFUGO_API_KEY
	TokenSecret    string   // MADANG_CENTRIFUGO_TOKEN_SECRET
}

// NodeConfig is the Centrifugo (v6) configuration the tier needs, as a
// JSON object (the README's one-node config.json; the tests and the
// benchmark run theirs from it):
//   - server API with the API key, connection tokens with the token secret;
//   - one account's connections capped at 16 a node, as Madang caps its
//     SSE connections;
//   - the subscribe proxy to Madang for every channel: shared channels
//     (with presence: Followers) and the personal namespace, whose channel
//     the client subscribes to itself, so that Madang sees every
//     subscription, and with the connection token's meta (its session
//     tag): a token minted before a password change or a sign-out
//     everywhere subscribes to nothing (Token). Until 2026-12-07 Centrifugo
//     subscribed each connection to its personal channel itself
//     (client.subscribe_to_user_personal_channel), and such a token kept
//     receiving the user's chats and notifications until it expired.
func NodeConfig(n Node) map[string]any {
	server := map[string]any{"port": n.Port}
	if n.InternalPort != 0 {
		server["internal_port"] = strconv.Itoa(n.InternalPort) // a string in Centrifugo's schema
	}
	if n.Address != "" {
		server["address"] = n.Address
	}
	origins := n.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	return map[string]any{
		"http_server": server,
		"usage_stats": map[string]any{"disabled": true},
		"http_api":    map[string]any{"key": n.APIKey},
		"client": map[string]any{
			"allowed_origins":       origins,
			"token":                 map[string]any{"hmac_secret_key": n.TokenSecret},
			"user_connection_limit": 16,
		},
		"channel": map[string]any{
			"proxy": map[string]any{"subscribe": map[string]any{
				"endpoint": n.MadangURL + "/api/realtime/subscribe", "timeout": "3s",
				"include_connection_meta": true,
				"http":                    map[string]any{"static_headers": map[string]string{ProxyKeyHeader: n.APIKey}},
			}},
			"without_namespace": map[string]any{"presence": true, "subscribe_proxy_enabled": true},
			"namespaces":        []map[string]any{{"name": PersonalNamespace, "subscribe_proxy_enabled": true}},
		},
	}
}
