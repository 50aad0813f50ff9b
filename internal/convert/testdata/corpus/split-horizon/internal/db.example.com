$TTL 3600
@       IN SOA  ns1.example.com. hostmaster.example.com. 2026120101 3600 900 604800 300
        IN NS   ns1.example.com.
ns1     IN A    127.0.0.1
www     IN A    10.20.0.80
intranet IN A   10.20.0.10
wiki    IN CNAME intranet
mail    IN A    10.20.0.25
@       IN MX   10 mail
; the lab runs its own servers; the office gets its names resolved
lab     IN NS   ns.lab
ns.lab  IN A    127.0.0.53
