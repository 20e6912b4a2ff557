// PKCS#12 keystore access through the system OpenSSL.
//
// Written in C because NIOSSL's PKCS#12 support takes the first key and cannot choose an entry
// by alias, and OpenSSL's STACK_OF/sk_* macros do not import into Swift. The functions here only
// move bytes between PKCS#12 and PEM; Swift does all policy (expiry, alias defaults, messages).
#ifndef STEWARD_KEYSTORE_H
#define STEWARD_KEYSTORE_H

#include <stddef.h>

typedef enum {
    STEWARD_KEYSTORE_OK = 0,
    STEWARD_KEYSTORE_MALFORMED = 1,       // not a PKCS#12 file
    STEWARD_KEYSTORE_WRONG_PASSWORD = 2,  // the integrity MAC does not verify
    STEWARD_KEYSTORE_NO_SUCH_ALIAS = 3,   // no key entry with this alias
    STEWARD_KEYSTORE_AMBIGUOUS = 4,       // no alias given and several key entries exist
    STEWARD_KEYSTORE_NO_CERTIFICATE = 5,  // the key entry has no matching certificate
    STEWARD_KEYSTORE_KEY_MISMATCH = 6,    // the certificate is not for this key
    STEWARD_KEYSTORE_INTERNAL = 7,        // OpenSSL failed; see the error text
} steward_keystore_status;

// Reads the key entry named `alias` (case-insensitive, as Java does; NULL: the only key entry).
// On success *key_pem holds a PKCS#8 PEM key and *chain_pem the leaf certificate then its issuers.
// Always sets *aliases to the key entries' aliases, one per line, and *error on failure.
// Every returned string is freed with steward_keystore_free.
steward_keystore_status steward_keystore_read(const unsigned char *data, size_t length,
                                              const char *password, const char *alias,
                                              char **key_pem, char **chain_pem,
                                              char **aliases, char **error);

// Writes a keystore holding `count` key entries (alias, PEM key, PEM chain leaf first),
// keys and certificates encrypted with AES-256 (PBES2) and a SHA-256 MAC.
steward_keystore_status steward_keystore_create(size_t count, const char *const *aliases,
                                                const char *const *key_pems,
                                                const char *const *chain_pems,
                                                const char *password,
                                                unsigned char **der, size_t *der_length,
                                                char **error);

void steward_keystore_free(void *pointer);

#endif
