package appmeta

// portService names the well-known service on a server port, "" when the
// port is not in the table. The table is deliberately short: ports whose
// traffic is overwhelmingly one protocol.
func portService(tcp bool, port uint16) string {
	if tcp {
		switch port {
		case 20, 21:
			return "ftp"
		case 22:
			return "ssh"
		case 23:
			return "telnet"
		case 25, 587:
			return "smtp"
		case 53:
			return "dns"
		case 80, 8080:
			return "http"
		case 88:
			return "kerberos"
		case 110:
			return "pop3"
		case 135:
			return "dcerpc"
		case 139:
			return "netbios"
		case 143:
			return "imap"
		case 179:
			return "bgp"
		case 389:
			return "ldap"
		case 443, 8443:
			return "https"
		case 445:
			return "smb"
		case 465:
			return "smtps"
		case 502:
			return "modbus"
		case 636:
			return "ldaps"
		case 853:
			return "dot"
		case 993:
			return "imaps"
		case 995:
			return "pop3s"
		case 1433:
			return "mssql"
		case 1883:
			return "mqtt"
		case 3306:
			return "mysql"
		case 3389:
			return "rdp"
		case 5060:
			return "sip"
		case 5222:
			return "xmpp"
		case 5432:
			return "postgresql"
		case 5900:
			return "vnc"
		case 6379:
			return "redis"
		case 8883:
			return "mqtts"
		case 102:
			return "s7comm"
		case 20000:
			return "dnp3"
		}
		return ""
	}
	switch port {
	case 53:
		return "dns"
	case 67, 68:
		return "dhcp"
	case 69:
		return "tftp"
	case 88:
		return "kerberos"
	case 123:
		return "ntp"
	case 137:
		return "netbios-ns"
	case 138:
		return "netbios-dgm"
	case 161, 162:
		return "snmp"
	case 443:
		return "quic"
	case 500, 4500:
		return "ipsec"
	case 514:
		return "syslog"
	case 546, 547:
		return "dhcpv6"
	case 1194:
		return "openvpn"
	case 1900:
		return "ssdp"
	case 3478:
		return "stun"
	case 5060:
		return "sip"
	case 5353:
		return "mdns"
	case 5355:
		return "llmnr"
	case 51820:
		return "wireguard"
	}
	return ""
}

// tlsPort reports TCP ports where TLS starts at the first byte, so an
// unrecognised first segment there is worth holding in case it arrived out
// of order.
func tlsPort(port uint16) bool {
	switch port {
	case 443, 8443, 465, 636, 853, 993, 995, 5223, 8883:
		return true
	}
	return false
}

// isDNSPort: DNS, multicast DNS and LLMNR share the message format.
func isDNSPort(port uint16) bool { return port == 53 || port == 5353 || port == 5355 }
