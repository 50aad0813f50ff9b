; example.com, served authoritatively by the external server (127.0.0.1:1054).
$TTL 3600
@       IN SOA  ns1.example.com. hostmaster.example.com. 2026112101 7200 3600 1209600 3600
@       IN NS   ns1.example.com.
@       IN MX   10 mail.example.com.
ns1     IN A    127.0.0.1
www     IN A    192.0.2.80
mail    IN A    192.0.2.25
