"""Write an EC key and a CSR for one domain (the test's stand-in for openssl req)."""

import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

domain, key_path, csr_path = sys.argv[1:4]
key = ec.generate_private_key(ec.SECP256R1())
with open(key_path, "wb") as handle:
    handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
csr = (x509.CertificateSigningRequestBuilder()
       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
       .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
       .sign(key, hashes.SHA256()))
with open(csr_path, "wb") as handle:
    handle.write(csr.public_bytes(serialization.Encoding.PEM))
